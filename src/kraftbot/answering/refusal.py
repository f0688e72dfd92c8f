"""The honest refusal an applicant reads: why, what the documents say, the closest documents, where to look."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from kraftbot.answering.compose import shown
from kraftbot.answering.evidence import Candidate
from kraftbot.settings import TopicSettings
from kraftbot.values import Passage, RefusalReason

NO_QUESTION = (
    "Jag hittar ingen fråga i det du skrev. Ställ en fråga om {topic}, så svarar jag utifrån mina dokument."
)
OFF_TOPIC = "Jag svarar bara på frågor om {topic}, och den här frågan ligger utanför det som mina dokument handlar om."
INJECTION = (
    "Jag kan inte göra det. Jag svarar bara på frågor om {topic} utifrån mina dokument, och jag hittar aldrig "
    "på uppgifter eller byter roll."
)
NOT_IN_MATERIAL = "Det kan jag tyvärr inte svara på: uppgiften finns inte i mitt underlag."
PREMISE = "Det kan jag inte svara på: mitt underlag nämner inte {terms}."
# Refusals with no documents to point to: the question has no subject in the material at all.
WITHOUT_LINKS: dict[RefusalReason, str] = {"no_question": NO_QUESTION, "injection": INJECTION, "off_topic": OFF_TOPIC}


def _joined(terms: Sequence[str]) -> str:
    quoted = [f"”{term}”" for term in terms]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} eller {quoted[-1]}"


def refusal_message(
    reason: RefusalReason,
    passages: Sequence[Passage],
    topic: TopicSettings,
    absence: Candidate | None = None,
    unmentioned: Sequence[str] = (),
    documents: int = 3,
) -> str:
    """The Swedish refusal: its lead says why (quoting what the documents say they lack, or naming
    what they never mention); then the closest documents as links and, where one of them comes from a
    site `topic.more_info` names, that site for current details."""
    if reason in WITHOUT_LINKS:
        return WITHOUT_LINKS[reason].format(topic=topic.name)
    if reason == "premise" and unmentioned:
        lead = PREMISE.format(terms=_joined(unmentioned))
    elif reason == "absent" and absence is not None:
        lead = f"Det kan jag tyvärr inte svara på. Underlaget säger: ”{shown(absence)}”"
    else:
        lead = NOT_IN_MATERIAL
    closest: dict[str, str] = {}
    for passage in ([absence.passage] if reason == "absent" and absence else []) + list(passages):
        if passage.url and len(closest) < documents:
            closest.setdefault(passage.url, passage.title or passage.doc_id)
    lines = [lead]
    if closest:
        links = ", ".join(f"[{title}]({url})" for url, title in closest.items())
        lines.append(f"Närmast ligger: {links}.")
    hosts = {urlparse(url).hostname or "" for url in closest}
    sites = [
        name for domain, name in topic.more_info.items() if any(h == domain or h.endswith("." + domain) for h in hosts)
    ]
    if sites:
        lines.append(f"Aktuella uppgifter hittar du på {' eller '.join(sites)}.")
    return "\n\n".join(lines)
