"""Personal data out of everything KraftBot stores or logs: personnummer, telephone numbers, e-mail.

Applicants paste their own details into questions and comments ("ring mig på 070-123 45 67"); the
feedback database and the logs must not keep them. Each is replaced by a Swedish placeholder so that
staff still see that something was there.
"""

from __future__ import annotations

import re

# Personnummer and samordningsnummer: (YY)YYMMDD, optionally - or +, then four digits.
PERSONNUMMER = re.compile(r"(?<!\d)(?:19|20)?\d{2}[01]\d[0-3]\d[-+ ]?\d{4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Swedish numbers (070-123 45 67, 08-123 456 78, +46 70 123 45 67): a 0 or +46 prefix, 7–10 more digits.
PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)[\s-]?\(?\d{1,3}\)?(?:[\s-]?\d){5,9}(?!\d)")

PLACEHOLDERS = (
    (EMAIL, "[e-post borttagen]"),
    (PERSONNUMMER, "[personnummer borttaget]"),
    (PHONE, "[telefonnummer borttaget]"),
)


def redact(text: str) -> str:
    """The text with every e-mail address, personnummer and telephone number replaced."""
    for pattern, placeholder in PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return text
