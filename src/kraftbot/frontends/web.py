"""`kraftbot serve`: load the assistant and the database, then serve the chat, `/v1` and the rest."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kraftbot.settings import Settings
from kraftbot.storage.stores import Stores

log = logging.getLogger(__name__)


def server_app(settings: Settings, index_name: str, stores: Stores, **server_overrides: Any) -> FastAPI:
    """The app as `kraftbot serve` runs it: as many answer workers as the backend serves at once
    (`server.answer_workers` = 0), retention from `database.retention_days`, the staff workspace at
    `/admin` (evaluation question files found under `eval/` of the working folder)."""
    from kraftbot.admin.workspace import Workspace
    from kraftbot.assistant import build_assistant
    from kraftbot.llm.factory import concurrent_answers
    from kraftbot.web.app import build_app

    workers = settings.server.answer_workers or concurrent_answers(settings.llm)
    config = settings.server.model_copy(update={"answer_workers": workers, **server_overrides})
    log.info("Answering %d questions at once (llm.backend %s)", workers, settings.llm.backend)
    workspace = Workspace(settings, index_name, Path.cwd())
    assistant = build_assistant(settings, index_name)
    return build_app(assistant, stores, config, settings.database.retention_days, workspace)


def serve(settings: Settings, index_name: str, host: str | None = None, port: int | None = None) -> None:
    """Load everything, then listen (server.host:server.port, 127.0.0.1:7860 unless told otherwise)."""
    import uvicorn

    from kraftbot.storage.migrate import open_database
    from kraftbot.storage.stores import open_stores

    stores = open_stores(open_database(settings), index_name, settings.server.session_hours)
    app = server_app(settings, index_name, stores)
    address, number = host or settings.server.host, port if port is not None else settings.server.port
    log.info("Web chat on http://%s:%d", address, number)
    uvicorn.run(app, host=address, port=number, log_level="warning")
