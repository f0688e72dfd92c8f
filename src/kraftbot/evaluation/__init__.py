"""Offline evaluation of KraftBot: judge-free measures of retrieval, answers, refusals and speed.

`runner.run_evaluation` answers a question file and writes `results.jsonl`, `summary.json` and
`report.md` (DESIGN.md contract); `compare` and `gate` read those files back.
"""
