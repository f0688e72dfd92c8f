"""The Swedish web chat (Gradio): streamed answers with their sources as links under each answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from kraftbot.answering.pipeline import Assistant, Finished, TextDelta
from kraftbot.errors import BackendError, QuestionRejected
from kraftbot.settings import Settings
from kraftbot.values import AnswerResult, Mode

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
    """The cited sources as a numbered list of links.

    A refusal lists none: its text already names the closest documents where they are relevant,
    and an off-topic or hostile question has no relevant documents at all.
    """
    if result.refused or not result.citations:
        return ""
    heading = "**Källor** (svaret citerar källorna ordagrant)" if result.mode == Mode.EXTRACTIVE else "**Källor**"
    lines = [f"{c.n}. [{c.label}]({c.url}) – ”{c.quote}”" for c in result.citations]
    return f"\n\n{heading}\n" + "\n".join(lines)


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


def answer_stream(assistant: Assistant, message: str, history: list[str] | None = None) -> Iterator[str]:
    """The growing answer text for the chat window; errors become Swedish messages.

    The streamed text is the model's draft; the last update is the checked answer with its sources,
    which replaces the draft (it may be a quoted answer or a refusal when the draft failed the check).
    """
    text = ""
    try:
        for event in assistant.stream(message, history):
            if isinstance(event, TextDelta):
                text += event.text
                yield text
            elif isinstance(event, Finished):
                yield event.result.answer + sources_markdown(event.result)
    except QuestionRejected as rejected:
        yield str(rejected)
    except BackendError as failure:
        log.exception("Generation backend failed")
        yield str(failure) or BACKEND_FAILURE  # backends raise with a Swedish message
    except Exception:
        log.exception("Unexpected failure while answering")
        yield UNEXPECTED_FAILURE


def build_app(assistant: Assistant) -> Any:
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        yield from answer_stream(assistant, message, user_turns(history))

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
    from kraftbot.assistant import build_assistant

    assistant = build_assistant(settings, index_name)
    launch(build_app(assistant), host or settings.server.host, port if port is not None else settings.server.port)
