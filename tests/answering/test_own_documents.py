"""A municipality's own documents (`tests/fixtures/own_documents`: an unedited press release, a web page
copied with its menus and cookie text, a fictional municipality's press release with a contact person),
indexed as a user indexes them: the rules judge their questions against this index, not the shipped one."""

from __future__ import annotations

import json

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.index.store import build_index, load_index
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import load_settings

from ..conftest import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
QUESTIONS = {
    row["id"]: row
    for row in map(json.loads, (FIXTURES / "own_documents.jsonl").read_text(encoding="utf-8").splitlines())
}
# Refusals by a rule, before any evidence is weighed.
RULES = {"no_question", "injection", "off_topic", "absent", "premise"}


@pytest.fixture(scope="module")
def own_assistant(tmp_path_factory, embedder, cached_embedder) -> Assistant:
    root = tmp_path_factory.mktemp("own")
    settings = load_settings(config_file=root / "absent.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    build_index(settings, "own", FIXTURES / "own_documents", embedder, progress=False)
    knowledge = load_index(settings, "own", cached_embedder, progress=False)
    return Assistant(settings, Retriever(knowledge, settings.retrieval))


@pytest.mark.parametrize(
    "qid",
    [
        "own-01",  # who a person named in the press release is
        "own-03",  # an English question about the documents as a whole
        "own-05",  # whom to call: the fictional press release names the officer and the number
        "own-06",  # which address to write to
    ],
)
def test_the_questions_a_user_saw_refused_pass_the_rules(own_assistant: Assistant, qid: str) -> None:
    result = own_assistant.ask(QUESTIONS[qid]["question"])
    assert result.refusal_reason not in RULES, result.answer


@pytest.mark.parametrize("qid", ["own-16", "own-17"])
def test_questions_on_other_subjects_are_off_topic_for_these_documents(own_assistant: Assistant, qid: str) -> None:
    assert own_assistant.ask(QUESTIONS[qid]["question"]).refusal_reason == "off_topic"


def test_a_number_the_documents_do_not_hold_is_still_refused(own_assistant: Assistant) -> None:
    result = own_assistant.ask("Vilket telefonnummer har Vinnovas generaldirektör?")
    assert result.refused and result.refusal_reason == "absent"
