"""What stands between the app and the network: the Host check, security headers and the login throttle.

Gradio serves the app and its login page; these pieces wrap it. The Host check keeps a page on another site
from reaching a loopback app through DNS rebinding (its requests carry that site's host name), and keeps a
public app to the names it was given.
"""

from __future__ import annotations

import hmac
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

MIN_PASSWORD = 12
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def allowed_hosts(bound: str, extra: str = "") -> frozenset[str]:
    """Host names a request may carry: loopback names, the bound address, and for a wildcard bind this
    machine's own names and addresses; plus STUDYBOT_ALLOWED_HOSTS (comma-separated)."""
    names = {*LOOPBACK_NAMES, bound.strip("[]").lower()}
    if bound in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        names.update({hostname.lower(), socket.getfqdn().lower()})
        try:
            names.update(socket.gethostbyname_ex(hostname)[2])
        except OSError:
            pass  # no resolvable name: the loopback names and STUDYBOT_ALLOWED_HOSTS remain
    names.update(h.strip().lower() for h in extra.split(",") if h.strip())
    return frozenset(names)


def host_of(header: str) -> str:
    """'example.org:7860' -> 'example.org'; '[::1]:7860' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


# What the login page itself needs; everything else (layout, API schema, events, files, heartbeats) waits for
# the session cookie Gradio sets at login
LOGIN_PAGE_PATHS = frozenset({"/", "/login", "/login/", "/logout", "/favicon.ico", "/robots.txt", "/manifest.json",
                              "/theme.css", "/gradio_api/theme.css", "/gradio_api/login_check",
                              "/gradio_api/login_check/"})
LOGIN_PAGE_PREFIXES = ("/assets/", "/static/", "/svelte/")
LAUNCH_PATHS = frozenset({"/gradio_api/startup-events"})  # Gradio's launch() calls it, from this machine, unlogged
NOT_LOGGED_IN = b'{"detail":{"error":"Not authenticated","auth_message":null}}'  # Gradio's own 401 body


class Guard:
    """ASGI middleware: refuse requests for other host names and, behind a login, every request without the
    session but those of the login page; add security headers to every response."""

    def __init__(self, app, hosts: frozenset[str]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = host_of(dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1"))
        if host not in self.hosts:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _refuse(send)
        if needs_login(scope):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _not_logged_in(send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present]
            await send(message)

        return await self.app(scope, receive, with_headers)


def needs_login(scope) -> bool:
    """True for a request to a login-protected app without a valid session that asks for more than the login
    page. Gradio guards most routes itself, but not all (its OpenAPI schema, a page of runs with the API schema
    embedded, heartbeat streams, the app id): an allow-list cannot miss a route a new Gradio adds."""
    server = scope.get("app")  # Starlette puts the Gradio app here before the middleware runs
    if not getattr(server, "auth", None):
        return False
    path = scope.get("path", "")
    if path in LOGIN_PAGE_PATHS or path.startswith(LOGIN_PAGE_PREFIXES):
        return False
    if path in LAUNCH_PATHS and (scope.get("client") or ("",))[0] in LOOPBACK_NAMES:
        return False
    from starlette.requests import HTTPConnection

    cookies = HTTPConnection(scope).cookies
    token = cookies.get(f"access-token-{server.cookie_id}") or cookies.get(f"access-token-unsecure-{server.cookie_id}")
    return token not in server.tokens


def unlist_api(blocks) -> None:
    """Behind a login, publish no API: Gradio embeds the public endpoints' schema (their names, parameters and
    choices, such as every section title) in the login page itself. The events stay callable after login
    (the page and gradio_client find them in the login-only config)."""
    for function in blocks.fns.values():
        if function.api_visibility == "public":
            function.api_visibility = "undocumented"


async def _not_logged_in(send) -> None:
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": NOT_LOGGED_IN})


async def _refuse(send) -> None:
    body = b"This app does not answer to that host name (set STUDYBOT_ALLOWED_HOSTS to add one)."
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class LoginThrottle:
    """Gradio's auth callable: the one user and password, compared in constant time, with failed attempts
    limited — after `per_user` failures for a name within `window` seconds, that name is locked for `window`
    seconds (the right password too), and after `overall` failures of any names, every login is."""

    def __init__(self, user: str, password: str, per_user: int = 5, overall: int = 20, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        self._user, self._password = user.encode(), password.encode()
        self.per_user, self.overall, self.window = per_user, overall, window
        self._clock = clock
        self._failures: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._failures and now - self._failures[0][0] > self.window:
                self._failures.popleft()
            wait = self.locked_for(str(user), now)
            if wait > 0:
                raise _locked_out(wait)
            right = hmac.compare_digest(str(user).encode(), self._user) & hmac.compare_digest(
                str(password).encode(), self._password)
            if not right:
                self._failures.append((now, str(user)))
            return right

    def locked_for(self, user: str, now: float) -> float:
        """Seconds until `user` may try again (0: now): a lock ends when enough of the failures behind it are
        older than the window."""
        mine = [when for when, name in self._failures if name == user]
        every = [when for when, _ in self._failures]
        ends = [times[len(times) - limit] + self.window
                for times, limit in ((mine, self.per_user), (every, self.overall)) if len(times) >= limit]
        return max(ends, default=now) - now

    @property
    def rule(self) -> str:
        """The lock rule as the login page states it."""
        return (f"After {self.per_user} wrong passwords for a name (or {self.overall} for all names) within "
                f"{self.window / 60:g} minutes, logins pause until the oldest is {self.window / 60:g} minutes old.")


def _locked_out(seconds: float):
    """Gradio's login page shows "Incorrect credentials" for any refusal (status 400); the reason and the time
    to wait reach the response body, which API clients and the browser's network panel show."""
    from fastapi import HTTPException

    wait = f"{math.ceil(seconds / 60)} minutes" if seconds > 90 else f"{math.ceil(seconds)} seconds"
    return HTTPException(status_code=400, detail=f"Too many failed logins: try again in {wait}.")
