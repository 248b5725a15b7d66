"""What stands between the app and the network: the Host check, security headers and the login throttle.

Gradio serves the app and its login page; these pieces wrap it. The Host check keeps a page on another site
from reaching a loopback app through DNS rebinding (its requests carry that site's host name), and keeps a
public app to the names it was given.
"""

from __future__ import annotations

import hmac
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


class Guard:
    """ASGI middleware: refuse requests for other host names, add security headers to every response."""

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

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present]
            await send(message)

        return await self.app(scope, receive, with_headers)


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
            if self.locked(user, now):
                return False
            right = hmac.compare_digest(str(user).encode(), self._user) & hmac.compare_digest(
                str(password).encode(), self._password)
            if not right:
                self._failures.append((now, str(user)))
            return right

    def locked(self, user: str, now: float) -> bool:
        mine = sum(1 for _, name in self._failures if name == user)
        return mine >= self.per_user or len(self._failures) >= self.overall
