# The two commands of the README: `make up` (stack + main job) and `make test`.
SHELL := /bin/bash
STACK := infra/local-stack.sh
VENV := .venv/bin
CORPUS ?= tests/fixtures/alaska-summit.txt
QUERY ?= Putin Alaska

.PHONY: up demo down status test test-unit lint bench screenshots

up:  ## start the whole local stack, ingest $(CORPUS) through the API, search for $(QUERY)
	$(STACK) up
	$(MAKE) --no-print-directory demo

demo:
	@set -a; eval "$$($(STACK) env)"; set +a; infra/demo.sh "$(CORPUS)" "$(QUERY)"

down:
	$(STACK) down

status:
	$(STACK) status

test:  ## start Redis, PostgreSQL and Elasticsearch, then run every test
	$(STACK) up --deps-only
	$(MAKE) --no-print-directory lint
	promtool check rules infra/monitoring/rules/*.yml
	$(VENV)/pytest

test-unit:
	$(VENV)/pytest tests/unit

screenshots:  ## the console's browser tests, then their screenshots copied into docs/ (README)
	$(STACK) up --deps-only
	$(VENV)/pytest tests/e2e/test_console.py -q
	for name in search search-phone article-top pipeline; do \
	  cp tests/artifacts/console-$$name.png docs/console-$${name%-top}.png; done
	if command -v pngquant >/dev/null; then pngquant --force --ext .png docs/console-*.png; fi

lint:  ## ruff, mypy (strict for shared/ and services/), the import layering contract
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports
