"""An app bound beyond localhost: long passwords, throttled logins, known host names only, security headers,
and nothing of the study material served before login."""

import socket

import gradio as gr
import httpx
import pytest

from bot.settings import Settings
from bot.ui.guard import LoginThrottle, allowed_hosts, host_of
from bot.ui.serve import launch_options, parse_auth

PASSWORD = "correct-horse-battery"


def test_a_short_password_is_refused_with_the_minimum():
    with pytest.raises(ValueError, match="at least 12"):
        parse_auth("ann:s3cret")
    assert parse_auth(f"ann:{PASSWORD}") == ("ann", PASSWORD)


def test_failed_logins_lock_the_name_for_a_while_then_it_opens_again():
    now = [0.0]
    login = LoginThrottle("ann", PASSWORD, per_user=5, overall=20, window=300, clock=lambda: now[0])
    assert login("ann", PASSWORD)
    assert not any(login("ann", f"guess{i}") for i in range(5))
    assert not login("ann", PASSWORD)  # locked: the right password too, so guessing on cannot tell
    now[0] = 301
    assert login("ann", PASSWORD)


def test_many_failed_logins_under_any_names_lock_every_login():
    now = [0.0]
    login = LoginThrottle("ann", PASSWORD, per_user=5, overall=20, window=300, clock=lambda: now[0])
    for i in range(20):
        login(f"user{i}", "x")
    assert not login("ann", PASSWORD)
    now[0] = 400
    assert login("ann", PASSWORD)


@pytest.mark.parametrize("header, host", [("example.org:7860", "example.org"), ("[::1]:7860", "::1"),
                                          ("LOCALHOST", "localhost"), ("10.0.0.5", "10.0.0.5")])
def test_host_header_parsing(header, host):
    assert host_of(header) == host


def test_a_loopback_app_answers_only_to_loopback_names():
    hosts = allowed_hosts("127.0.0.1")
    assert {"localhost", "127.0.0.1", "::1"} <= hosts and "evil.example" not in hosts
    assert "studybot.lan" in allowed_hosts("0.0.0.0", "studybot.lan, other.lan")


@pytest.fixture
def served():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings.from_env({"STUDYBOT_HOST": "0.0.0.0", "STUDYBOT_PORT": str(port),
                                  "STUDYBOT_AUTH": f"ann:{PASSWORD}"})
    options = {k: v for k, v in launch_options(settings).items() if k not in ("theme", "css", "js")}
    with gr.Blocks() as demo:
        gr.Markdown("Kinesis Data Streams — Enhanced Fan-Out")  # stands for the section titles of the real app
        button, box = gr.Button("go"), gr.Textbox()
        button.click(lambda: "x", None, box)
    demo.launch(prevent_thread_lock=True, quiet=True, **options)
    yield f"http://127.0.0.1:{port}"
    demo.close()


def test_served_app_checks_hosts_adds_headers_and_shows_only_the_login_page(served):
    page = httpx.get(f"{served}/")
    assert page.status_code == 200 and "Enhanced Fan-Out" not in page.text
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):  # schema and layout need a login
        assert httpx.get(f"{served}{path}").status_code == 401, path
    rebinding = httpx.get(f"{served}/", headers={"Host": "attacker.example"})
    assert rebinding.status_code == 400 and "STUDYBOT_ALLOWED_HOSTS" in rebinding.text


def test_served_app_stops_a_password_guessing_run(served):
    for i in range(5):
        assert httpx.post(f"{served}/login", data={"username": "ann", "password": f"guess{i}"}).status_code == 400
    assert httpx.post(f"{served}/login", data={"username": "ann", "password": PASSWORD}).status_code == 400
