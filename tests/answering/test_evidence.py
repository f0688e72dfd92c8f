"""The evidence for a question: every claim of its passages once, under its heading, and the corpus's
statements of what it lacks that are closest to the question."""

from __future__ import annotations

from kraftbot.answering.evidence import Evidence, absence_statements, claims, gather_evidence, is_absence
from kraftbot.answering.similarity import Similarity
from kraftbot.text.lexicon import ABSENCE
from kraftbot.text.sentences import text_units
from kraftbot.values import Passage

from ..doubles import passage

DEADLINE_QUESTION = "När är sista ansökningsdag för Starta er AI-resa?"
DEADLINE_ABSENCE = "Sista ansökningsdag för Starta er AI-resa finns inte i underlaget"
AMOUNT = passage(
    "Högst 600 000 kronor per projekt. Resten får finansieras på annat sätt.",
    node_id="a",
    section="Hur mycket kan ett projekt få?",
)


def test_claims_carry_their_section_heading_and_whether_they_open_their_passage() -> None:
    found = claims([AMOUNT])
    assert [(c.unit.text, c.unit.section, c.unit.first) for c in found] == [
        ("Högst 600 000 kronor per projekt.", "Hur mycket kan ett projekt få?", True),
        ("Resten får finansieras på annat sätt.", "Hur mycket kan ett projekt få?", False),
    ]
    assert all(c.passage is AMOUNT and c.rank == 0 and not c.absent for c in found)


def test_a_claim_repeated_by_overlapping_chunks_is_a_candidate_once_from_the_better_passage() -> None:
    overlap = passage("Resten får finansieras på annat sätt. Beslut fattas av Vinnova.", node_id="b")
    found = claims([AMOUNT, overlap])
    texts = [c.unit.text for c in found]
    assert texts.count("Resten får finansieras på annat sätt.") == 1
    assert next(c for c in found if c.unit.text.startswith("Resten")).passage is AMOUNT
    assert [c.rank for c in found] == [0, 0, 1]


def test_a_lead_line_cut_off_from_its_list_is_no_candidate() -> None:
    found = claims([passage("Projektet ska ha två parter. Följande krävs:")])
    assert [c.unit.text for c in found] == ["Projektet ska ha två parter."]


def test_a_list_is_a_statement_of_absence_when_its_lead_says_so() -> None:
    listed = text_units("Följande uppgifter saknas:\n\n- sista ansökningsdag\n- projektlängd")
    assert all(is_absence(unit) for unit in listed)
    assert not any(is_absence(unit) for unit in text_units("Följande krävs:\n\n- en kommun\n- en förening"))


def test_absence_statements_are_the_corpus_claims_that_say_the_material_lacks_something(
    corpus_passages: list[Passage],
) -> None:
    statements = absence_statements(corpus_passages)
    assert statements and all(c.absent for c in statements)
    assert all(ABSENCE.search(c.unit.full) for c in statements)
    assert any(c.unit.full.startswith(DEADLINE_ABSENCE) for c in statements)
    assert len(statements) < len(claims(corpus_passages)) / 2, "most claims state facts"


def test_the_closest_absences_join_the_retrieved_claims_ranked_after_them(
    corpus_passages: list[Passage], similarity: Similarity
) -> None:
    retrieved = [AMOUNT, passage("Bidraget täcker högst 80 procent av kostnaderna.", node_id="c")]
    absences = absence_statements(corpus_passages)
    evidence = gather_evidence(DEADLINE_QUESTION, retrieved, absences, similarity, extra_absences=2)
    own = claims(retrieved)
    added = evidence.candidates[len(own) :]
    assert evidence.candidates[: len(own)] == own and evidence.passages == retrieved
    assert len(added) == 2 and all(c.absent and c.rank == len(retrieved) for c in added)
    assert any(c.unit.full.startswith(DEADLINE_ABSENCE) for c in added), "the statement about the deadline is closest"
    assert gather_evidence(DEADLINE_QUESTION, retrieved, absences, similarity, extra_absences=0).candidates == own


def test_an_absence_already_retrieved_is_not_added_again(
    corpus_passages: list[Passage], similarity: Similarity
) -> None:
    deadline = next(p for p in corpus_passages if p.text.startswith(DEADLINE_ABSENCE))
    absences = absence_statements(corpus_passages)
    evidence = gather_evidence(DEADLINE_QUESTION, [deadline], absences, similarity, extra_absences=3)
    fulls = [c.unit.full for c in evidence.candidates]
    assert len(fulls) == len(set(fulls)) == len(claims([deadline])) + 3
    assert evidence.candidates[0].rank == 0 and evidence.candidates[0].absent


def test_the_evidence_strength_is_the_best_passage_by_each_method() -> None:
    scored = [passage("a", dense_score=0.8, bm25_score=3.0), passage("b", dense_score=0.9), passage("c", bm25_score=7)]
    evidence = Evidence(scored, [])
    assert (evidence.top_dense, evidence.top_bm25) == (0.9, 7.0)
    assert (Evidence([passage("a")], []).top_dense, Evidence([], []).top_bm25) == (-1.0, 0.0)


def test_the_index_passages_stand_under_their_question_headings(corpus_passages: list[Passage]) -> None:
    headed = [p for p in corpus_passages if p.section]
    assert len(headed) > len(corpus_passages) / 2
    assert all(p.section.endswith("?") for p in headed), "the corpus phrases its headings as questions"
    assert not any("##" in p.text or p.section in p.text for p in headed), "a heading is never quoted as a claim"
