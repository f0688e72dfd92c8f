"""The honest refusal an applicant reads: why, the closest documents as links, where to look instead."""

from __future__ import annotations

from urllib.parse import urlparse

from kraftbot.answering.evidence import Evidence
from kraftbot.values import RefusalReason

OFF_TOPIC = (
    "Jag svarar bara på frågor om Kraftsamling för AI i kommuner och civilsamhälle, Vinnovas och "
    "AI Swedens satsning, och den här frågan ligger utanför det som mitt underlag handlar om."
)
INJECTION = (
    "Jag kan inte göra det. Jag svarar bara på frågor om Kraftsamling för AI i kommuner och "
    "civilsamhälle utifrån mitt underlag, och jag hittar aldrig på uppgifter eller byter roll."
)
NOT_IN_MATERIAL = "Det kan jag tyvärr inte svara på: uppgiften finns inte i mitt underlag."
SITES = {
    "vinnova.se": "Vinnovas webbplats (vinnova.se)",
    "ai.se": "AI Swedens webbplats (ai.se)",
}


def refusal_message(reason: RefusalReason, evidence: Evidence, documents: int = 3) -> str:
    """The Swedish refusal: why, the closest documents as links, and where to look instead."""
    if reason == "injection":
        return INJECTION
    if reason == "off_topic":
        return OFF_TOPIC
    lines = [NOT_IN_MATERIAL]
    absence, where = evidence.best_absence, evidence.absence_passage
    if reason == "absent" and absence is not None:
        lines.append(f"Underlaget säger: ”{absence.unit.full.lstrip('-* ')}”")
    closest: dict[str, str] = {}
    for passage in ([where] if reason == "absent" and where else []) + evidence.passages:
        if passage.url and len(closest) < documents:
            closest.setdefault(passage.url, passage.title or passage.doc_id)
    if closest:
        links = ", ".join(f"[{title}]({url})" for url, title in closest.items())
        lines.append(f"Närmast ligger: {links}.")
    hosts = {urlparse(url).hostname or "" for url in closest}
    sites = [name for domain, name in SITES.items() if any(h == domain or h.endswith("." + domain) for h in hosts)]
    if sites:
        lines.append(f"Aktuella uppgifter hittar du på {' eller '.join(sites)}.")
    return "\n\n".join(lines)
