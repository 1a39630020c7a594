# callgate — developer entry points. Only python3 is needed on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
ADMIN_PORT ?= 8081
CONFIG ?= deploy/quickstart.yaml
UPSTREAM_PORT ?= 9901
MCP_PORT ?= 9902

.PHONY: run test lint typecheck bench eval clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# make run [PORT=8080] [ADMIN_PORT=8081] [CONFIG=deploy/quickstart.yaml] [UPSTREAM_PORT=9901] [MCP_PORT=9902]
run: $(STAMP)
	PORT=$(PORT) ADMIN_PORT=$(ADMIN_PORT) CONFIG=$(CONFIG) UPSTREAM_PORT=$(UPSTREAM_PORT) MCP_PORT=$(MCP_PORT) \
		bash deploy/quickstart.sh

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gateway tests bench
	$(BIN)/ruff format --check gateway tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.inspect
	$(BIN)/python -m bench
	$(BIN)/python -m bench.stores

eval: $(STAMP)
	$(BIN)/python -m tests.eval.report
	$(BIN)/python -m tests.eval.corpus_report --split test
	$(BIN)/python -m tests.eval.corpus_report --external --split test
	$(BIN)/python -m tests.eval.corpus_report --ssrf --split dev
	$(BIN)/python -m tests.eval.corpus_report --cloud --split dev
	$(BIN)/python -m tests.eval.corpus_report --code --split dev
	$(BIN)/python -m tests.eval.corpus_report --secrets --split test
	$(BIN)/python -m tests.eval.corpus_report --docs --split dev
	$(BIN)/python -m tests.eval.corpus_report --docs --split test
	$(BIN)/python -m tests.eval.train_classifier

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
