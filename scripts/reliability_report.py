"""Run the reliability suite (the tests marked `reliability`: faults, bad input, attacks) and write
eval/reports/reliability.md: every fault and attack tried, its result, and the command that
reproduces it, with the load figures of the latest `kraftbot bench load` run.

    .venv/bin/python scripts/reliability_report.py [--report eval/reports/reliability.md]

It runs through `scripts/test.sh` (the README's test command), which starts PostgreSQL and the
tools the tests drive; the exit code is the suite's.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = {
    "test_bad_input": "Bad input",
    "test_admin": "Attacks on the staff workspace",
    "test_signin": "Attacks on sign-in",
    "test_openai_api": "Attacks on /v1",
    "test_ratelimit": "Attacks: flooding",
    "test_redact": "Personal data",
    "test_leaks": "Attacks: files, logs and documents",
    "test_documents": "Bad input: hostile uploads",
    "test_reverse_proxy": "Deployment",
}
FAULTS = "Faults"


@dataclass(frozen=True)
class Outcome:
    area: str
    what: str
    result: str
    command: str


def _decoded(run: re.Match[str]) -> str:
    """A run of `\\xNN` escapes: UTF-8 bytes when they are that (a bytes parameter), else Latin-1
    characters (a str parameter); control characters stay visible as escapes."""
    raw = bytes(int(code, 16) for code in re.findall(r"\\x([0-9a-f]{2})", run.group(0)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def unescaped(name: str) -> str:
    """A test id as written: pytest escapes non-ASCII characters in ids (`\\xe5` for å)."""
    name = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), name)
    return re.sub(r"(?:\\x[0-9a-f]{2})+", _decoded, name)


def describe(path: Path, name: str) -> str:
    """The test's docstring's first line, else its name as a sentence."""
    function = name.split("[")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            doc = ast.get_docstring(node)
            if doc:
                return doc.splitlines()[0]
    sentence = function.removeprefix("test_").replace("_", " ")
    case = f" ({name.split('[', 1)[1].rstrip(']')})" if "[" in name else ""
    return sentence[:1].upper() + sentence[1:] + case


def outcomes(junit: Path) -> list[Outcome]:
    found = []
    for case in ElementTree.parse(junit).iter("testcase"):
        module = case.get("classname", "")
        path = ROOT / (module.replace(".", "/") + ".py")
        name = unescaped(case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            result = "FAILED"
        elif (skipped := case.find("skipped")) is not None:
            result = f"skipped: {skipped.get('message', '')}"
        else:
            result = "passed"
        area = AREAS.get(module.rsplit(".", 1)[-1], FAULTS)
        node = f"{path.relative_to(ROOT)}::{name.split('[')[0]}"
        found.append(Outcome(area, describe(path, name), result, f"`.venv/bin/python -m pytest '{node}'`"))
    return sorted(found, key=lambda o: (o.area, o.command))


# The load runs the suite reports (benchmarks, not tests: run them by hand, they take minutes).
LOAD_REPORTS = {
    "16 clients for 5 minutes": (
        "load-5min.md",
        "kraftbot bench load --users 16 --minutes 5 --report eval/reports/load-5min.md",
    ),
    "soak, 30 minutes": ("soak.md", "kraftbot bench load --users 16 --minutes 30 --report eval/reports/soak.md"),
}


def load_lines() -> list[str]:
    lines = []
    for title, (name, command) in LOAD_REPORTS.items():
        report = ROOT / "eval" / "reports" / name
        lines += ["", f"## Load: {title}", ""]
        if not report.exists():
            lines.append(f"Not run yet: `{command}`.")
            continue
        lines += report.read_text(encoding="utf-8").splitlines()[2:]  # without its title
    return lines


def render(found: list[Outcome], command: str) -> str:
    passed = sum(o.result == "passed" for o in found)
    failed = sum(o.result == "FAILED" for o in found)
    lines = [
        "# Reliability and security",
        "",
        f"Regenerated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}`: {len(found)} checks, {passed} passed,"
        f" {failed} failed, {len(found) - passed - failed} skipped.",
        "",
        *load_lines(),
    ]
    for area in sorted({o.area for o in found}):
        lines += ["", f"## {area}", "", "| what was tried | result | reproduce |", "| --- | --- | --- |"]
        lines += [f"| {o.what} | {o.result} | {o.command} |" for o in found if o.area == area]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=ROOT / "eval" / "reports" / "reliability.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "reliability.xml"
        run = subprocess.run(
            ["bash", str(ROOT / "scripts" / "test.sh"), "-q", "-m", "reliability", f"--junitxml={junit}"],
            cwd=ROOT,
            check=False,
        )
        if not junit.exists():
            print("reliability_report: the suite did not run", file=sys.stderr)
            return run.returncode or 1
        text = render(outcomes(junit), "python scripts/reliability_report.py")
    args.report.write_text(text, encoding="utf-8")
    print(f"{args.report}: written")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
