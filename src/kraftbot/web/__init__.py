"""The applicant's web chat: a Swedish page served by FastAPI, answers streamed as server-sent events."""
