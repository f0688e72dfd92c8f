"""Sign-in for staff users: `/signin` (form), `/signout`, and who is signed in.

The session lives in an `HttpOnly`, `SameSite=Lax` cookie holding a random token (only its hash is
stored: `storage.sessions`), marked `Secure` when the request came over HTTPS (uvicorn reads the
reverse proxy's X-Forwarded-Proto from trusted addresses). Sign-in attempts are limited per address;
forms are only accepted from the server's own pages (their Origin), against cross-site posts.
Used by the chat when `server.chat_sign_in` is on, and by the staff pages.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from kraftbot.settings import ServerSettings
from kraftbot.storage.stores import Stores
from kraftbot.storage.users import UserInfo
from kraftbot.text.redact import redact
from kraftbot.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)

COOKIE = "kraftbot_session"
PAGE = Path(__file__).with_name("static") / "signin.html"
WRONG = "Fel användarnamn eller lösenord."
TOO_MANY = "För många inloggningsförsök. Vänta en minut och försök igen."
SIGNED_OUT = "Du är utloggad."
FOREIGN_FORM = "Formuläret kom inte från KraftBots egen sida."
SIGN_IN_DOWN = "Inloggningen fungerar inte just nu. Försök igen om en stund."
MAX_FORM_BYTES = 4096
# The sign-in and staff pages load only their own scripts, styles and images: nothing a document, question or
# comment shown on them could bring in from elsewhere.
CSP = (
    "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def signin_page(next_path: str, message: str = "", name: str = "") -> str:
    """The form, with the message of a failed attempt and the name typed (only the password is retyped)."""
    notice = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    page = PAGE.read_text(encoding="utf-8").replace("<!--message-->", notice)
    return page.replace("<!--next-->", html.escape(next_path, quote=True)).replace("<!--name-->", html.escape(name))


def safe_next(path: str) -> str:
    """Only a path on this server (never `//elsewhere` or a full URL) is followed after sign-in."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def same_origin(request: Request) -> bool:
    """A form post from this server's own page: its Origin (else Referer) names this host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


def csrf_token(session_token: str) -> str:
    """The token a signed-in page's forms carry: derived from the session's secret cookie, so a page
    of another site, which cannot read the cookie, cannot forge it."""
    return hashlib.sha256(f"csrf:{session_token}".encode()).hexdigest()[:32]


class SignInUnavailable(Exception):
    """Who is signed in cannot be told: the database holding the sessions fails (answered 503)."""


class Auth:
    """Who is signed in, and the routes that sign in and out."""

    def __init__(self, stores: Stores, server: ServerSettings) -> None:
        self.stores = stores
        self.attempts = RateLimiter(server.sign_in_attempts_per_minute)

    def user(self, request: Request) -> UserInfo | None:
        """The signed-in user; SignInUnavailable when the database cannot say (never a guess)."""
        token = request.cookies.get(COOKIE)
        try:
            return self.stores.sessions.user(token) if token else None
        except SQLAlchemyError as failure:
            log.error("Cannot read sign-in sessions (%s)", type(failure).__name__)
            raise SignInUnavailable from failure

    def form_allowed(self, request: Request, sent_token: str) -> bool:
        """A signed-in form post: from this site (Origin) and carrying the session's CSRF token."""
        token = request.cookies.get(COOKIE, "")
        return bool(token) and same_origin(request) and hmac.compare_digest(sent_token, csrf_token(token))

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/signin", response_class=HTMLResponse)
        def form(next: str = "/") -> HTMLResponse:
            return HTMLResponse(signin_page(safe_next(next)), headers={"Content-Security-Policy": CSP})

        @router.post("/signin", response_model=None)
        async def sign_in(request: Request) -> Response:
            if not same_origin(request):
                raise HTTPException(403, FOREIGN_FORM)
            fields = parse_qs((await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace"))
            name, password = fields.get("name", [""])[0], fields.get("password", [""])[0]
            next_path = safe_next(fields.get("next", ["/"])[0])
            address = request.client.host if request.client else ""
            if not self.attempts.allow(address):
                log.warning("Sign-in refused: too many attempts from one address")
                return HTMLResponse(signin_page(next_path, TOO_MANY, name), status_code=429)
            try:
                user = await asyncio.to_thread(self.stores.users.check, name, password)
                if user is None:
                    await asyncio.to_thread(self.stores.audit.record, name[:100], "sign-in-failed", address)
                    log.info("Failed sign-in")
                    return HTMLResponse(signin_page(next_path, WRONG, name), status_code=401)
                token = await asyncio.to_thread(self.stores.sessions.start, user.name)
                await asyncio.to_thread(self.stores.audit.record, user.name, "sign-in")
            except SQLAlchemyError as failure:
                log.error("Sign-in failed: the database fails (%s)", type(failure).__name__)
                return HTMLResponse(signin_page(next_path, SIGN_IN_DOWN, name), status_code=503)
            log.info("User %s signed in", redact(user.name))
            response = RedirectResponse(next_path, status_code=303)
            response.set_cookie(
                COOKIE,
                token,
                max_age=int(self.stores.sessions.lifetime.total_seconds()),
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
            return response

        @router.post("/signout", response_model=None)
        async def sign_out(request: Request) -> Response:
            if not same_origin(request):
                raise HTTPException(403, FOREIGN_FORM)
            if token := request.cookies.get(COOKIE):
                try:
                    if user := await asyncio.to_thread(self.stores.sessions.user, token):
                        await asyncio.to_thread(self.stores.audit.record, user.name, "sign-out")
                    await asyncio.to_thread(self.stores.sessions.end, token)
                except SQLAlchemyError as failure:  # the cookie is cleared all the same
                    log.error("Sign-out could not end the session (%s)", type(failure).__name__)
            response = HTMLResponse(signin_page("/", SIGNED_OUT))
            response.delete_cookie(COOKIE, httponly=True, samesite="lax")
            return response

        return router
