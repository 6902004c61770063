"""The monitor's token: who may act on jobs, and (off loopback) who may read them.

The token is presented as ``Authorization: Bearer TOKEN``, ``X-Routilux-Token:
TOKEN`` or the cookie :data:`COOKIE`. The cookie is set by opening any page
with ``?token=TOKEN`` (the URL ``routilux serve`` prints), which then
redirects to the same URL without the token, so it stays out of the history
and of the page's links. It is ``HttpOnly`` (no script reads it) and
``SameSite=Strict`` (no other site's page or link sends it), so a link or a
form elsewhere cannot act with it.

:class:`TokenMiddleware` lets through a request that presents the token; one
that does not is refused when it is an action (any method but GET/HEAD) or
when reads need the token too (a monitor on a non-loopback address): missing
token 401, wrong token 403, as ``{"error": ...}`` JSON under ``/api/``, as a
short page elsewhere. Actions are POST routes only, so a GET on one is a 405
and never performs it.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["COOKIE", "HEADER", "TokenMiddleware", "presented_token"]

#: The cookie that carries the token for the pages' requests.
COOKIE = "routilux_monitor_token"
#: The header that carries it for scripts (besides ``Authorization: Bearer``).
HEADER = "x-routilux-token"
_READS = ("GET", "HEAD")


def presented_token(request: Request) -> str | None:
    """The token the request presents (header, then cookie), or None."""
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get(HEADER) or request.cookies.get(COOKIE) or None


class TokenMiddleware:
    """Checks the token of each HTTP request (see the module docstring).

    Args:
        app: the application it guards.
        token: the token (non-empty).
        require_token_for_reads: refuse reads without the token too (a non-loopback monitor).

    Raises:
        ValueError: an empty token.
    """

    def __init__(self, app: ASGIApp, token: str, require_token_for_reads: bool) -> None:
        if not token:
            raise ValueError("the monitor's token must be a non-empty string")
        self.app = app
        self.token = token
        self.require_token_for_reads = require_token_for_reads

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self._login(request) or self._refusal(request)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _login(self, request: Request) -> Response | None:
        """A page opened with ``?token=``: set the cookie and redirect without it (wrong one: 403)."""
        login = request.query_params.get("token")
        if login is None or request.method not in _READS or request.url.path.startswith("/api/"):
            return None
        if not self._matches(login):
            return self._refuse(request, 403, "wrong token in the URL's ?token=")
        rest = [(key, value) for key, value in request.query_params.multi_items() if key != "token"]
        target = URL(path=request.url.path, query=urlencode(rest))
        response = RedirectResponse(str(target), status_code=303)
        response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
        return response

    def _refusal(self, request: Request) -> Response | None:
        if request.method in _READS and not self.require_token_for_reads:
            return None
        token = presented_token(request)
        if token is None:
            what = ("an action" if request.method not in _READS
                    else "this monitor (it serves a non-loopback address)")
            return self._refuse(
                request, 401,
                f"{what} needs the monitor's token: send 'Authorization: Bearer TOKEN' or "
                "'X-Routilux-Token: TOKEN', or open the URL 'routilux serve' printed (?token=TOKEN)",
            )
        if not self._matches(token):
            return self._refuse(request, 403, "wrong token")
        return None

    @staticmethod
    def _refuse(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        # A fixed page: the message is ours, but escape it all the same.
        from html import escape

        return HTMLResponse(
            f"<!doctype html><title>routilux monitor: {status}</title>"
            f"<h1>{status}</h1><p>{escape(message)}</p>",
            status_code=status,
        )
