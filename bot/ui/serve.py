"""Start the app: check where it may listen, build the index on first start, launch."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Callable

from bot.settings import Settings
from bot.ui.guard import MIN_PASSWORD

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class UnsafeBinding(ValueError):
    """The app would be reachable from other machines without a password."""


class PortInUse(ValueError):
    """Another program listens on the app's port."""


def check_port_free(host: str, port: int) -> None:
    """Bind the port for a moment before the index is loaded: a busy port is one line, not Gradio's traceback
    after a minute of loading. Port 0 (any free port) needs no check."""
    if port == 0:
        return
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as err:
        raise ValueError(f"STUDYBOT_HOST={host} is not an address this machine has ({err.strerror})") from err
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT is free to use
        try:
            probe.bind(address)
        except OSError as err:
            raise PortInUse(f"port {port} on {host} is in use ({err.strerror}): stop the program using it, or "
                            "choose another with STUDYBOT_PORT") from err


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or 0.0.0.0-like address that other machines can reach


def parse_auth(auth: str) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ValueError("STUDYBOT_AUTH must look like user:password")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the STUDYBOT_AUTH password has {len(password)} characters; use at least {MIN_PASSWORD} "
                         "(anyone who can reach the app can try passwords)")
    return user, password


def launch_options(settings: Settings) -> dict:
    """Arguments for Blocks.launch(): loopback by default, a password required anywhere else, never a share link."""
    from bot.ui.theme import CSS, KEYS_JS, theme

    credentials = parse_auth(settings.auth)
    if credentials is None and not is_loopback(settings.host):
        raise UnsafeBinding(
            f"STUDYBOT_HOST={settings.host} makes the app reachable from other machines: "
            "set STUDYBOT_AUTH=user:password as well, or use 127.0.0.1."
        )
    from starlette.middleware import Middleware

    from bot.ui.guard import Guard, LoginThrottle, allowed_hosts

    throttle = LoginThrottle(*credentials) if credentials else None
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": throttle,
        "auth_message": throttle.rule if throttle else None,
        "share": False,
        "state_session_capacity": settings.max_sessions,  # Gradio keeps ~200 KB per session until evicted
        "app_kwargs": {"middleware": [Middleware(Guard, hosts=allowed_hosts(settings.host, settings.allowed_hosts))],
                       "openapi_url": None, "docs_url": None, "redoc_url": None},  # FastAPI's schema of every route
        "theme": theme(),
        "css": CSS,
        "js": KEYS_JS,
    }


def serve(app, options: dict, **launch) -> None:
    """Launch `app` with `options` (from launch_options); behind a login its API is not published."""
    from bot.ui.guard import unlist_api

    if options.get("auth"):
        unlist_api(app)
    app.launch(**options, **launch)


def ensure_index(settings: Settings, say: Callable[[str], None] = print) -> None:
    """First start: build the index in the terminal with a progress bar instead of waiting silently."""
    from bot.ingest.index import index_exists, ingest, make_client, where

    if settings.chroma_host:
        make_client(settings)  # an unreachable server: the CLI's message, before any talk of building
    if index_exists(settings):
        return
    say(f"No index at {where(settings)} yet: building it from {settings.corpus_dir} (about a minute)…")
    say(ingest(settings, progress=True).summary())


def has_desktop() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main() -> int:
    from bot.answer.studybot import build_answering_with
    from bot.ingest.index import IndexUnavailable
    from bot.ingest.load import CorpusError
    from bot.ui import build_app

    try:
        settings = Settings.from_env()
        options = launch_options(settings)
        check_port_free(settings.host, settings.port)
        ensure_index(settings)
        print("Loading the index and the embedding model…", flush=True)
        app = build_app(build_answering_with(settings, settings.llm), settings)
    except (UnsafeBinding, IndexUnavailable, CorpusError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    app.queue(default_concurrency_limit=2)
    try:
        serve(app, options, inbrowser=has_desktop(), quiet=True, prevent_thread_lock=True)
    except OSError as err:  # taken between the check and the launch
        print(f"error: cannot listen on {settings.host}:{settings.port} ({err}); choose another STUDYBOT_PORT",
              file=sys.stderr)
        return 2
    print(f"Study app on {app.local_url} (Ctrl+C to stop)", flush=True)
    app.block_thread()
    return 0
