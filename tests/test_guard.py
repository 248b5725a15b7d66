"""An app bound beyond localhost: long passwords, throttled logins, known host names only, security headers,
and nothing of the study material served before login."""

import re
import socket
from dataclasses import replace
from types import SimpleNamespace

import httpx
import pytest
from conftest import tiny_settings_at
from fastapi import HTTPException

from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.ui import build_app
from bot.ui.guard import (
    LAUNCH_PATHS,
    LOGIN_PAGE_PATHS,
    LOGIN_PAGE_PREFIXES,
    LoginThrottle,
    allowed_hosts,
    host_of,
    needs_login,
)
from bot.ui.serve import launch_options, parse_auth, serve

PASSWORD = "correct-horse-battery"


def test_a_short_password_is_refused_with_the_minimum():
    with pytest.raises(ValueError, match="at least 12"):
        parse_auth("ann:s3cret")
    assert parse_auth(f"ann:{PASSWORD}") == ("ann", PASSWORD)


def test_failed_logins_lock_the_name_for_a_while_and_say_when_to_try_again():
    now = [0.0]
    login = LoginThrottle("ann", PASSWORD, per_user=5, overall=20, window=300, clock=lambda: now[0])
    assert login("ann", PASSWORD)
    for i in range(5):
        now[0] = 10.0 * i
        assert not login("ann", f"guess{i}")
    now[0] = 60
    with pytest.raises(HTTPException, match="try again in 4 minutes") as locked:
        login("ann", PASSWORD)  # locked: the right password too, so guessing on cannot tell
    assert locked.value.status_code == 400  # the status Gradio's login page handles
    assert login("bob", "x") is False  # another name is not locked
    now[0] = 285  # the first failure is 15 s from expiring: then four remain, under the limit
    with pytest.raises(HTTPException, match="try again in 15 seconds"):
        login("ann", PASSWORD)
    now[0] = 301
    assert login("ann", PASSWORD)


def test_many_failed_logins_under_any_names_lock_every_login():
    now = [0.0]
    login = LoginThrottle("ann", PASSWORD, per_user=5, overall=20, window=300, clock=lambda: now[0])
    for i in range(20):
        login(f"user{i}", "x")
    with pytest.raises(HTTPException, match="Too many failed logins: try again in 5 minutes"):
        login("ann", PASSWORD)
    now[0] = 400
    assert login("ann", PASSWORD)
    assert "After 5 wrong passwords for a name (or 20 for all names) within 5 minutes" in login.rule


@pytest.mark.parametrize("header, host", [("example.org:7860", "example.org"), ("[::1]:7860", "::1"),
                                          ("LOCALHOST", "localhost"), ("10.0.0.5", "10.0.0.5")])
def test_host_header_parsing(header, host):
    assert host_of(header) == host


def test_a_loopback_app_answers_only_to_loopback_names():
    hosts = allowed_hosts("127.0.0.1")
    assert {"localhost", "127.0.0.1", "::1"} <= hosts and "evil.example" not in hosts
    assert "studybot.lan" in allowed_hosts("0.0.0.0", "studybot.lan, other.lan")


@pytest.mark.parametrize("path, client, cookie, blocked", [
    ("/config", "127.0.0.1", "", True), ("/config", "127.0.0.1", "access-token-c1=good", False),
    ("/config", "127.0.0.1", "access-token-unsecure-c1=good", False),
    ("/config", "127.0.0.1", "access-token-c1=bad", True),
    ("/", "10.0.0.5", "", False), ("/assets/index.js", "10.0.0.5", "", False),
    ("/gradio_api/startup-events", "127.0.0.1", "", False), ("/gradio_api/startup-events", "10.0.0.5", "", True),
])
def test_which_requests_need_the_session(path, client, cookie, blocked):
    server = SimpleNamespace(auth=object(), cookie_id="c1", tokens={"good": "ann"})
    scope = {"type": "http", "app": server, "path": path, "client": (client, 5000),
             "headers": [(b"cookie", cookie.encode())] if cookie else []}
    assert needs_login(scope) is blocked
    assert needs_login(scope | {"app": SimpleNamespace(auth=None)}) is False  # no login set: nothing to guard


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real app over the tiny corpus, bound beyond localhost with a password, started as `make run` does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(tiny_settings_at(tmp_path_factory.mktemp("served")), host="0.0.0.0", port=port,
                       auth=f"ann:{PASSWORD}")
    ingest(settings, progress=False)
    app = build_app(build_bot(settings), settings)
    serve(app, launch_options(settings), prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}", app
    app.close()


def test_served_app_checks_hosts_adds_headers_and_shows_only_the_login_page(served):
    url, app = served
    page = httpx.get(f"{url}/")
    assert page.status_code == 200 and "Amazon SQS" not in page.text and "256 KB" not in page.text
    assert '"named_endpoints":{}' in page.text  # the page embeds no API schema (it used to list every event)
    assert "After 5 wrong passwords" in page.text  # the lock rule, shown on the login form
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    rebinding = httpx.get(f"{url}/", headers={"Host": "attacker.example"})
    assert rebinding.status_code == 400 and "STUDYBOT_ALLOWED_HOSTS" in rebinding.text


def test_before_login_every_route_but_the_login_page_and_its_assets_needs_the_session(served):
    """Every route the served app has (78 in Gradio 6.3), each method, with placeholder path parameters."""
    url, app = served
    routes = [(method.upper(), re.sub(r"\{[^}]+\}", "x", path))
              for path, methods in app.server_app.openapi()["paths"].items() for method in methods]
    assert len(routes) > 50 and ("GET", "/gradio_api/heartbeat/x") in routes
    opened = {}
    for method, path in routes + [("GET", "/openapi.json"), ("GET", "/docs")]:
        if path in LOGIN_PAGE_PATHS or path.startswith(LOGIN_PAGE_PREFIXES) or path in LAUNCH_PATHS:
            continue  # the login page, its assets, and Gradio's own start-up call (from this machine only)
        answer = httpx.request(method, f"{url}{path}", timeout=10)
        if answer.status_code != 401:
            opened[f"{method} {path}"] = answer.status_code
    assert opened == {}
    for asset in ("/theme.css", "/favicon.ico", "/manifest.json"):
        assert httpx.get(f"{url}{asset}").status_code == 200, asset


def test_after_login_the_app_answers_and_still_publishes_no_schema(served):
    url, app = served
    with httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 200
        config = client.get("/config")
        assert config.status_code == 200 and "Amazon SQS" in config.text  # the layout, now that ann is in
        assert client.get("/gradio_api/info").json()["named_endpoints"] == {}
        assert client.get("/openapi.json").status_code == 404  # FastAPI's schema is off for everyone
        with client.stream("GET", "/gradio_api/heartbeat/x", timeout=5) as beat:  # held shut before login
            assert beat.status_code == 200


def test_served_app_stops_a_password_guessing_run_and_says_when_to_try_again(served):
    url, _ = served
    for i in range(5):
        refused = httpx.post(f"{url}/login", data={"username": "mallory", "password": f"guess{i}"})
        assert refused.status_code == 400 and refused.json()["detail"] == "Incorrect credentials."
    locked = httpx.post(f"{url}/login", data={"username": "mallory", "password": "guess5"})
    assert locked.status_code == 400 and locked.json()["detail"] == "Too many failed logins: try again in 5 minutes."
