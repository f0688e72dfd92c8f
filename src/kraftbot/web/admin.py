"""`/admin`: the staff workspace's pages, Dokument, Utvärdering and Återkoppling, behind sign-in.

Signed out, every page shows only the sign-in form and every action is refused (401). Signed in,
every form must come from this site and carry the session's CSRF token (403 otherwise), and every
action is written to the audit log with who and when. Routes only translate HTTP; the work is in
`admin.workspace` (documents, evaluations, background jobs) and the stores.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt

from kraftbot.admin.workspace import Workspace
from kraftbot.errors import KraftbotError
from kraftbot.storage.feedback import NegativeItem, as_question
from kraftbot.storage.stores import Stores
from kraftbot.storage.users import UserInfo
from kraftbot.web.auth import COOKIE, CSP, Auth, csrf_token, signin_page

log = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
SIGN_IN_FIRST = "Logga in först."
FLASH_COOKIE = "kraftbot_meddelande"
FORM_REFUSED = "Formuläret kunde inte tas emot (det kom inte från den här sidan, eller så har inloggningen gått ut)."
JOB_STATES = {"queued": "I kö", "running": "Pågår", "done": "Klart", "failed": "Misslyckades"}
QUESTION_KINDS = {"shipped": "medföljer", "uploaded": "uppladdad", "staff": "personalens"}
# The answer kinds the chat shows (the Mode values), as the filter names them.
MODES = {"written": "skrivet svar, kontrollerat", "extractive": "svar ur källorna", "refused": "avböjt"}
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
T = TypeVar("T")


class Refused(Exception):
    """An /admin request that is not allowed: the status and the Swedish reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _page(request: Request, template: str, user: UserInfo, **context: Any) -> HTMLResponse:
    """A staff page, with the message of the action just taken (`_back`), shown once."""
    kind, _, text = unquote(request.cookies.get(FLASH_COOKIE, "")).partition(":")
    context |= {
        "user": user,
        "csrf": csrf_token(request.cookies.get(COOKIE, "")),
        "message": text if kind == "ok" else "",
        "error": text if kind == "fel" else "",
        "states": JOB_STATES,
    }
    response = TEMPLATES.TemplateResponse(
        request, f"admin/{template}", context, headers={"Content-Security-Policy": CSP}
    )
    response.delete_cookie(FLASH_COOKIE, path="/admin")
    return response


def _back(path: str, message: str = "", error: str = "") -> RedirectResponse:
    """Back to a page after an action, its outcome in a short-lived cookie (never in the URL, where a
    link from elsewhere could put words in the page's mouth)."""
    response = RedirectResponse(path, status_code=303)
    flash = f"fel:{error}" if error else f"ok:{message}" if message else ""
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=60, path="/admin", httponly=True, samesite="strict")
    return response


def _day(text: str, days_after: int = 0) -> datetime | None:
    """Midnight (UTC) starting the day `text` names, `days_after` days later; None when unreadable."""
    try:
        day = date.fromisoformat(text) + timedelta(days=days_after) if text else None
    except (ValueError, OverflowError):
        return None
    return datetime.combine(day, datetime.min.time(), UTC) if day else None


def safe_url(url: str) -> str:
    """A link only to the web (http or https); anything else (javascript:, data:) becomes no link."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


TEMPLATES.env.filters["safe_url"] = safe_url


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def admin_router(workspace: Workspace, auth: Auth, stores: Stores) -> APIRouter:
    router = APIRouter(prefix="/admin")

    async def staff(request: Request) -> UserInfo:
        user = await asyncio.to_thread(auth.user, request)
        if user is None:
            raise Refused(401, SIGN_IN_FIRST)
        return user

    async def action(request: Request) -> tuple[UserInfo, Any]:
        """The signed-in user and the form of an allowed post."""
        user = await staff(request)
        form = await request.form(max_files=1, max_fields=20)
        if not auth.form_allowed(request, str(form.get("csrf", ""))):
            await audit(user, "form-refused", request.url.path)
            raise Refused(403, FORM_REFUSED)
        return user, form

    async def audit(user: UserInfo, what: str, detail: str = "") -> None:
        await asyncio.to_thread(stores.audit.record, user.name, what, detail)

    async def uploaded(form: Any) -> tuple[str, bytes] | None:
        """The form's file (name, content), read to one byte past the largest document allowed, so
        the library sees that it is too large; None when no file was chosen."""
        file = form.get("file")
        if file is None or isinstance(file, str):
            return None
        return file.filename or "", await file.read(int(workspace.settings.ingest.max_file_mb * 2**20) + 1)

    async def carried_out(
        user: UserInfo, back: str, what: str, work: Callable[[], T], done: Callable[[T], tuple[str, str]]
    ) -> Response:
        """Run `work` off the event loop and go back to `back`: with the Swedish reason when it was
        refused, else with `done`'s message; either way in the audit log (`done` gives its detail)."""
        try:
            outcome = await asyncio.to_thread(work)
        except KraftbotError as refused:
            await audit(user, f"{what}-refused", str(refused))
            return _back(back, error=str(refused))
        detail, message = done(outcome)
        await audit(user, what, detail)
        return _back(back, message=message)

    @router.get("", response_model=None)
    @router.get("/", response_model=None)
    async def home(request: Request) -> Response:
        await staff(request)
        return RedirectResponse("/admin/dokument", status_code=303)

    # --- Dokument ---------------------------------------------------------------------------

    @router.get("/dokument", response_class=HTMLResponse)
    async def documents(request: Request) -> HTMLResponse:
        user = await staff(request)
        manifest = workspace.manifest()
        knowledge = workspace.attached().assistant.retriever.knowledge
        rows = await asyncio.to_thread(workspace.documents().rows, knowledge, manifest)
        return _page(
            request,
            "dokument.html",
            user,
            title="Dokument",
            section="dokument",
            rows=rows,
            jobs=[job.view() for job in workspace.indexing.latest(3)],
            index_name=workspace.index_name,
            built_at=manifest.built_at[:16].replace("T", " ") if manifest else "",
            max_mb=workspace.settings.ingest.max_file_mb,
        )

    @router.post("/dokument/ladda-upp", response_model=None)
    async def upload(request: Request) -> Response:
        user, form = await action(request)
        if (upload := await uploaded(form)) is None:
            return _back("/admin/dokument", error="Välj en fil att ladda upp.")
        return await carried_out(
            user,
            "/admin/dokument",
            "upload",
            lambda: workspace.documents().save_upload(*upload),
            lambda stored: (stored, f"{stored} är uppladdad. Indexera om för att chatten ska använda den."),
        )

    @router.post("/dokument/andra", response_model=None)
    async def edit(request: Request) -> Response:
        user, form = await action(request)
        relative = str(form.get("relative", ""))
        fields = {key: str(form.get(key, "")).strip() for key in ("title", "url", "doc_type", "date")}
        return await carried_out(
            user,
            "/admin/dokument",
            "edit-metadata",
            lambda: workspace.documents().update_metadata(relative, **fields),
            lambda _: (f"{relative}: {fields}", f"Uppgifterna om {relative} är sparade. Indexera om för att visa dem."),
        )

    @router.post("/dokument/ta-bort", response_model=None)
    async def remove(request: Request) -> Response:
        user, form = await action(request)
        relative = str(form.get("relative", ""))
        return await carried_out(
            user,
            "/admin/dokument",
            "delete",
            lambda: workspace.documents().delete(relative),
            lambda _: (relative, f"{relative} är borttagen. Indexera om för att chatten ska glömma den."),
        )

    @router.post("/dokument/indexera", response_model=None)
    async def reindex(request: Request) -> Response:
        user, _ = await action(request)
        job = workspace.reindex(user.name)
        await audit(user, "reindex", workspace.index_name)
        return _back("/admin/dokument", message=f"Indexeringen är startad (jobb {job.id}).")

    @router.get("/jobb/{job_id}")
    async def job_state(request: Request, job_id: int) -> JSONResponse:
        await staff(request)
        job = workspace.job(job_id)
        if job is None:
            raise Refused(404, "Jobbet finns inte.")
        return JSONResponse(job.view())

    # --- Utvärdering ------------------------------------------------------------------------

    def question_file(key: str) -> Path:
        for file in workspace.evaluations.question_files():
            if str(file.path) == key:
                return file.path
        raise Refused(400, "Frågefilen finns inte.")

    @router.get("/utvardering", response_class=HTMLResponse)
    async def evaluations(request: Request) -> HTMLResponse:
        user = await staff(request)
        files = await asyncio.to_thread(workspace.evaluations.question_files)
        runs = await asyncio.to_thread(workspace.evaluations.runs)
        return _page(
            request,
            "utvardering.html",
            user,
            title="Utvärdering",
            section="utvardering",
            files=[{"key": str(f.path), "name": f.name, "questions": f.questions, "kind": f.kind} for f in files],
            kinds=QUESTION_KINDS,
            runs=[
                {
                    "id": run.id,
                    "started": run.started[:16].replace("T", " "),
                    "questions_name": run.question_file,
                    "settings_digest": run.settings_digest,
                    "model": run.model,
                    "index": run.index,
                    "commit": run.commit,
                    "status": run.status,
                    "gate_passed": bool(run.gate and run.gate.passed),
                }
                for run in runs
            ],
            jobs=[job.view() for job in workspace.running.latest(5)],
        )

    @router.post("/utvardering/starta", response_model=None)
    async def start_run(request: Request) -> Response:
        user, form = await action(request)
        questions = question_file(str(form.get("questions", "")))
        waits = workspace.running.busy()
        job = workspace.start_run(questions, questions.name, user.name)
        await audit(user, "evaluation", str(questions))
        place = "i kö" if waits else "startad"
        return _back("/admin/utvardering", message=f"Körningen av {questions.name} är {place} (jobb {job.id}).")

    @router.post("/utvardering/ladda-upp", response_model=None)
    async def upload_questions(request: Request) -> Response:
        user, form = await action(request)
        if (upload := await uploaded(form)) is None:
            return _back("/admin/utvardering", error="Välj en frågefil att ladda upp.")
        return await carried_out(
            user,
            "/admin/utvardering",
            "upload-questions",
            lambda: workspace.evaluations.save_question_upload(*upload),
            lambda saved: (saved.name, f"{saved.name} är uppladdad ({saved.questions} frågor)."),
        )

    @router.get("/utvardering/korning/{run_id}", response_class=HTMLResponse)
    async def report(request: Request, run_id: str) -> HTMLResponse:
        user = await staff(request)
        try:
            record = await asyncio.to_thread(workspace.evaluations.record, run_id)
            markdown, _ = await asyncio.to_thread(workspace.evaluations.report, run_id)
        except KraftbotError as missing:
            raise Refused(404, str(missing)) from missing
        body = MARKDOWN.render(markdown)
        for plot in ("latency.png", "score_by_tag.png"):
            body = body.replace(f'src="{plot}"', f'src="/admin/utvardering/korning/{quote(run_id)}/bild/{plot}"')
        title = f"Körning {run_id}"
        return _page(request, "rapport.html", user, title=title, section="utvardering", body=body, gate=record.gate)

    @router.get("/utvardering/korning/{run_id}/bild/{name}")
    async def plot(request: Request, run_id: str, name: str) -> FileResponse:
        await staff(request)
        try:
            path = await asyncio.to_thread(workspace.evaluations.plot_file, run_id, name)
        except KraftbotError as missing:
            raise Refused(404, str(missing)) from missing
        return FileResponse(path, media_type="image/png")

    @router.get("/utvardering/jamfor", response_class=HTMLResponse)
    async def compare(request: Request, gammal: str = "", ny: str = "") -> Response:
        user = await staff(request)
        if not gammal or not ny or gammal == ny:
            return _back("/admin/utvardering", error="Välj två olika körningar att jämföra.")
        try:
            markdown = await asyncio.to_thread(workspace.evaluations.compare, gammal, ny)
        except KraftbotError as missing:
            raise Refused(404, str(missing)) from missing
        title = f"Jämförelse: {gammal} → {ny}"
        body = MARKDOWN.render(markdown)
        return _page(request, "rapport.html", user, title=title, section="utvardering", body=body, gate=None)

    # --- Återkoppling -----------------------------------------------------------------------

    @router.get("/aterkoppling", response_class=HTMLResponse)
    async def feedback(request: Request, fran: str = "", till: str = "", typ: str = "") -> HTMLResponse:
        user = await staff(request)
        since, until = _day(fran), _day(till, days_after=1)
        items = await asyncio.to_thread(stores.feedback.rated, since, until, typ if typ in MODES else "")
        return _page(
            request,
            "aterkoppling.html",
            user,
            title="Återkoppling",
            section="aterkoppling",
            items=items,
            modes=MODES,
            selected_mode=typ,
            since=fran,
            until=till,
        )

    @router.get("/aterkoppling/{answer_id}", response_class=HTMLResponse)
    async def feedback_item(request: Request, answer_id: str) -> HTMLResponse:
        user = await staff(request)
        item = await asyncio.to_thread(stores.feedback.answer, answer_id)
        if item is None:
            raise Refused(404, "Svaret finns inte.")
        return _page(
            request, "svar.html", user, title="Ett svar och dess återkoppling", section="aterkoppling", item=item
        )

    @router.post("/aterkoppling/{answer_id}/testfraga", response_model=None)
    async def to_test_question(request: Request, answer_id: str) -> Response:
        user, form = await action(request)
        item = await asyncio.to_thread(stores.feedback.answer, answer_id)
        if item is None:
            raise Refused(404, "Svaret finns inte.")
        question = as_question(NegativeItem(item.answer, item.comments))
        answerable = form.get("answerable") == "ja"
        question |= {
            "answerable": answerable,
            "facts": _lines(str(form.get("facts", ""))) if answerable else [],
            "sources": _lines(str(form.get("sources", ""))) if answerable else [],
            "category": str(form.get("category", "")).strip() or "feedback",
        }
        staff_file = workspace.evaluations.staff_file.name
        return await carried_out(
            user,
            f"/admin/aterkoppling/{answer_id}",
            "add-test-question",
            lambda: workspace.evaluations.add_staff_question(question),
            lambda added: (added, f"Testfrågan {added} är tillagd i {staff_file}; kör den under Utvärdering."),
        )

    return router


def refused_response(request: Request, refused: Refused) -> Response:
    """Signed out, a page shows only the sign-in form; any other refusal is a short Swedish text."""
    wants_page = "application/json" not in request.headers.get("accept", "")
    headers = {"Content-Security-Policy": CSP}
    if refused.status == 401 and request.method == "GET" and wants_page:
        return HTMLResponse(signin_page(request.url.path), status_code=401, headers=headers)
    text = html.escape(refused.reason)
    return HTMLResponse(f'<p lang="sv">{text}</p>', status_code=refused.status, headers=headers)
