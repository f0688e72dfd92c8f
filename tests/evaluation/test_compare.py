"""Comparing two runs, on runs written the way the runner writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.errors import DatasetError
from kraftbot.evaluation.compare import compare_runs, render

from .runs import AMOUNT, REFUSAL, WEATHER, WHO, write_run


def test_compare_reports_deltas_and_the_questions_that_flipped(tmp_path: Path) -> None:
    write_run(
        tmp_path / "old",
        [(AMOUNT, "Högst 600 000 kronor [1]."), (WHO, REFUSAL), (WEATHER, REFUSAL)],
        total_s=10.0,
    )
    write_run(
        tmp_path / "new",
        [(AMOUNT, "Högst 2 miljoner kronor [1]."), (WHO, "Kommuner får söka [1]."), (WEATHER, REFUSAL)],
        total_s=4.0,
    )
    comparison = compare_runs(tmp_path / "old", tmp_path / "new")
    assert [f.id for f in comparison.broke] == ["amount"]
    assert [f.id for f in comparison.fixed] == ["who"]
    assert comparison.only_old == comparison.only_new == []
    deltas = {d.name: d for d in comparison.deltas}
    assert deltas["false_refusal_rate"].change == pytest.approx(-0.5)
    assert deltas["false_refusal_rate"].verdict == "better"
    assert deltas["latency.total_s.p50"].change == pytest.approx(-6.0)
    assert deltas["latency.total_s.p50"].verdict == "better"
    assert deltas["refusal_rate"].change == 0 and deltas["refusal_rate"].verdict == ""
    text = render(comparison)
    assert "Right -> wrong (1)" in text and "| amount |" in text and "| who |" in text


def test_questions_in_one_run_only_are_named(tmp_path: Path) -> None:
    write_run(tmp_path / "old", [(AMOUNT, "Högst 600 000 kronor [1].")], total_s=1.0)
    write_run(tmp_path / "new", [(WHO, "Kommuner får söka [1].")], total_s=1.0)
    comparison = compare_runs(tmp_path / "old", tmp_path / "new")
    assert (comparison.only_old, comparison.only_new) == (["amount"], ["who"])
    assert "Only in the new run: who" in render(comparison)


def test_compare_needs_a_finished_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no summary"):
        compare_runs(tmp_path / "empty", tmp_path / "empty")
