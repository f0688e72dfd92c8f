"""The Swedish web chat (Gradio): streamed answers with their sources as links under each answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from kraftbot.answering import Assistant, Finished, TextDelta
from kraftbot.llm.base import BackendError
from kraftbot.result import AnswerResult
from kraftbot.settings import Settings
from kraftbot.validation import QuestionRejected

log = logging.getLogger(__name__)

TITLE = "KraftBot"
DESCRIPTION = (
    "Ställ frågor om **Kraftsamling för AI i kommuner och civilsamhälle** – Vinnovas och AI Swedens "
    "satsning. Svaren bygger på KraftBots dokument och visar källorna. Kontrollera alltid viktiga "
    "uppgifter på källans sida."
)
EXAMPLES = [
    "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?",
    "Vem fick vara koordinator i utlysningen Gemensamma AI-förmågor?",
    "Hur många projekt finansierades totalt inom Kraftsamlingen?",
]
BACKEND_FAILURE = "Tyvärr kunde språkmodellen inte svara just nu. Försök igen om en stund."
UNEXPECTED_FAILURE = "Något gick fel när svaret skulle tas fram. Försök igen, eller kontakta den som driver tjänsten."


def sources_markdown(result: AnswerResult) -> str:
    """The cited sources as a numbered list of links; the nearest documents when none was cited."""
    if result.citations:
        lines = [f"{c.n}. [{c.title}]({c.url}) – ”{c.quote}”" for c in result.citations]
        return "\n\n**Källor**\n" + "\n".join(lines)
    seen: dict[str, str] = {}
    for item in result.retrieved[:3]:
        seen.setdefault(str(item["url"]), str(item["doc_id"]))
    if not seen:
        return ""
    lines = [f"- [{doc_id}]({url})" for url, doc_id in seen.items()]
    return "\n\n**Närliggande dokument**\n" + "\n".join(lines)


def answer_stream(assistant: Assistant, message: str) -> Iterator[str]:
    """The growing answer text for the chat window; errors become Swedish messages."""
    text = ""
    try:
        for event in assistant.stream(message):
            if isinstance(event, TextDelta):
                text += event.text
                yield text
            elif isinstance(event, Finished):
                yield event.result.answer + sources_markdown(event.result)
    except QuestionRejected as rejected:
        yield str(rejected)
    except BackendError:
        log.exception("Generation backend failed")
        yield BACKEND_FAILURE
    except Exception:
        log.exception("Unexpected failure while answering")
        yield UNEXPECTED_FAILURE


def build_app(assistant: Assistant) -> Any:
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        yield from answer_stream(assistant, message)

    return gr.ChatInterface(
        fn=respond,
        title=TITLE,
        description=DESCRIPTION,
        examples=EXAMPLES,
        cache_examples=False,
        textbox=gr.Textbox(placeholder="Skriv din fråga här …", submit_btn="Skicka", stop_btn="Avbryt"),
        chatbot=gr.Chatbot(label="Samtal", height=520),
        api_name="chat",
    )


def launch(app: Any, host: str, port: int, block: bool = True) -> str:
    """Listen on host:port; one answer at a time, since one model object serves them all.

    Returns the local URL (useful when `block` is False, as in tests).
    """
    app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, show_error=False, prevent_thread_lock=not block
    )
    return str(app.local_url)


def serve(settings: Settings, index_name: str, host: str | None = None, port: int | None = None) -> None:
    """Load everything, then listen (127.0.0.1:7860 unless told otherwise)."""
    from kraftbot.service import build_assistant

    assistant = build_assistant(settings, index_name)
    launch(build_app(assistant), host or settings.server.host, port if port is not None else settings.server.port)
