"""llama.cpp's OpenAI-compatible server with the [local] extra's packaged SmolLM2 GGUF, on a free port of 127.0.0.1."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from bot.answer.local_model import gguf_path, server_command

ALIAS = "smollm2"
SPEC = f"openai:{ALIAS}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """The server goes when the test run does, even one killed before its teardown (Linux: PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)


class LocalServer:
    """A real model server; `completions()` counts the chat requests it has answered (its access log)."""

    def __init__(self, log: Path, threads: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        command = server_command(gguf_path(ALIAS), ALIAS, port=self.port, threads=threads)
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        self._wait_until_up()

    def _wait_until_up(self, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the model server exited ({self.process.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the model server did not answer within {seconds:g} s; see {self.log}")

    def completions(self) -> int:
        return self.log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP')

    def kill(self) -> None:
        """Gone at once, as a crashed server is: no goodbye to the client."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()
