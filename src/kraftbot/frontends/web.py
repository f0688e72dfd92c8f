"""`kraftbot serve`: load the assistant and the feedback database, then serve the web chat."""

from __future__ import annotations

import logging

from kraftbot.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings, index_name: str, host: str | None = None, port: int | None = None) -> None:
    """Load everything, then listen (server.host:server.port, 127.0.0.1:7860 unless told otherwise)."""
    import uvicorn

    from kraftbot.assistant import build_assistant
    from kraftbot.storage.database import create_database_engine
    from kraftbot.storage.feedback import FeedbackStore
    from kraftbot.storage.keys import KeyStore
    from kraftbot.web.app import build_app

    assistant = build_assistant(settings, index_name)
    engine = create_database_engine(settings)
    app = build_app(assistant, FeedbackStore(engine, index_name), settings.server, KeyStore(engine))
    address, number = host or settings.server.host, port if port is not None else settings.server.port
    log.info("Web chat on http://%s:%d", address, number)
    uvicorn.run(app, host=address, port=number, log_level="warning")
