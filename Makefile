# Two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test setup index eval lint bench clean-index mutate train

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,openai]'
	touch $(STAMP)

setup: $(STAMP)

# Idempotent and incremental: a no-op (about a second) when the corpus has not changed.
index: setup
	$(VENV)/bin/studybot ingest

run: index
	$(PY) app.py

test: setup
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
