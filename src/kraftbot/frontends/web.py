"""The Swedish web chat (Gradio): streamed answers with their sources as links under each answer."""

from __future__ import annotations

import logging
from typing import Any

from kraftbot.answering.pipeline import Assistant
from kraftbot.errors import BackendError, QuestionRejected
from kraftbot.settings import Settings
from kraftbot.values import AnswerResult

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
    """The cited sources as links, numbered as the answer cites them.

    A refusal lists none: its text already names the closest documents where they are relevant,
    and an off-topic or hostile question has no relevant documents at all. The quotes are in the
    answer itself, so the list stays short.
    """
    if result.refused or not result.citations:
        return ""
    lines = [f"- [{c.n}] [{c.label}]({c.url})" for c in result.citations]
    return "\n\n**Källor**\n" + "\n".join(lines)


def user_turns(history: list[dict[str, Any]]) -> list[str]:
    """The earlier user questions of a Gradio chat history (content may be text or a list of parts)."""
    turns = []
    for message in history:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        if isinstance(content, str) and content.strip():
            turns.append(content)
    return turns


def answer_text(assistant: Assistant, message: str, history: list[str] | None = None) -> str:
    """The answer with its sources for the chat window; errors become Swedish messages."""
    try:
        result = assistant.ask(message, history)
    except QuestionRejected as rejected:
        return str(rejected)
    except BackendError as failure:
        log.exception("Model backend failed")
        return str(failure) or BACKEND_FAILURE  # backends raise with a Swedish message
    except Exception:
        log.exception("Unexpected failure while answering")
        return UNEXPECTED_FAILURE
    return result.answer + sources_markdown(result)


def build_app(assistant: Assistant) -> Any:
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> str:
        return answer_text(assistant, message, user_turns(history))

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
    """Listen on host:port, one answer at a time (answers take a fraction of a second on the CPU).

    Returns the local URL (useful when `block` is False, as in tests).
    """
    app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, show_error=False, prevent_thread_lock=not block
    )
    return str(app.local_url)


def serve(settings: Settings, index_name: str, host: str | None = None, port: int | None = None) -> None:
    """Load everything, then listen (127.0.0.1:7860 unless told otherwise)."""
    from kraftbot.assistant import build_assistant

    assistant = build_assistant(settings, index_name)
    launch(build_app(assistant), host or settings.server.host, port if port is not None else settings.server.port)
