# Two commands for a newcomer: `make demo` runs the example project, `make test` runs
# everything CI runs. Both set up their own virtualenv in .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
MARIADB_URL ?= mysql://root:@127.0.0.1:3306/test
PYTEST_ARGS ?=

.PHONY: test venv lint format migrations-check test-sqlite test-postgres test-mariadb demo bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed

## make test: lint, migrations check, then the whole suite on SQLite, PostgreSQL and MariaDB.
## A database server that does not answer is skipped locally, and is a failure under CI=true.
## Then the browser tests, the wheel check, and the suite under the oldest and newest
## Python x Django pairs (SQLite).
test: venv lint typecheck migrations-check test-sqlite test-postgres test-mariadb test-browser wheel-check matrix-edges

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: venv
	$(PY) -m django makemigrations --check --dry-run --settings=tests.settings --pythonpath=.

test-sqlite: venv
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres test-mariadb: venv
	@url='$(if $(filter test-postgres,$@),$(POSTGRES_URL),$(MARIADB_URL))'; \
	if DATABASE_URL="$$url" $(PY) scripts/db_available.py; then \
		echo "== $@ ($$url)"; DATABASE_URL="$$url" $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "$@: the database server does not answer, and under CI that is a failure."; exit 1; \
	else \
		echo "$@: skipped, the database server does not answer (CI=true makes this a failure)."; \
	fi

# -- packaging and typing (issue 8) ----------------------------------------------------------
# The `dev` extra adds nox, mypy + django-stubs, build and pre-commit to .venv (with the
# `browser` extra, so that mypy sees Playwright's types).

.PHONY: dev-venv typecheck wheel-check matrix matrix-edges

$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev,browser]"
	touch $@

dev-venv: $(VENV)/.dev-installed

## make typecheck: mypy with django-stubs over zoho_tokens, tests and scripts (~20 s cold).
typecheck: dev-venv
	$(VENV)/bin/mypy

## make wheel-check: build sdist + wheel, install the wheel into a fresh virtualenv, and use it
## from a throwaway Django project (migrate, check --deploy, a token store round trip).
## WHEEL_PYTHON=/path/to/python installs it under another interpreter.
WHEEL_PYTHON ?= $(PY)
wheel-check: dev-venv
	$(PY) scripts/check_wheel.py --python "$(WHEEL_PYTHON)"

## make matrix: the suite on SQLite under every Python (3.10-3.13, from pyenv) x Django
## (4.2, 5.2, 6.0, 6.1) pair that Django supports; see noxfile.py. NOX_ARGS go to nox.
NOX_ARGS ?=
matrix: dev-venv
	$(VENV)/bin/nox $(NOX_ARGS)

## make matrix-edges: only the oldest (Python 3.10 + Django 4.2) and newest (3.13 + 6.1) pairs.
matrix-edges: dev-venv
	$(VENV)/bin/nox -t edges $(NOX_ARGS)

# -- the example project: make demo, and the browser tests (issue 6) ---------------------------

.PHONY: chromium test-browser

## make demo: the example project at http://127.0.0.1:8000/ (next free port if busy) with a fake
## Zoho; prints the URL and the demo login. Ctrl-C stops both servers. With ZOHO_CLIENT_ID,
## ZOHO_CLIENT_SECRET (and ZOHO_DATA_CENTER) set it uses real Zoho; see example_project/README.md.
demo: venv
	@$(PY) scripts/demo.py

CHROMIUM ?= /usr/bin/chromium
BROWSER_PYTEST_ARGS ?=

## make chromium: install Debian's chromium and chromium-driver when missing (root or sudo).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests ..."; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

$(VENV)/.browser-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test,browser]"
	touch $@

## make test-browser: the example project clicked through in headless Chromium against the fake
## Zoho (about 30 s). Screenshots of every step go to artifacts/screenshots/.
test-browser: $(VENV)/.browser-installed chromium
	$(PY) -m pytest tests/browser --ds=tests.browser.settings $(BROWSER_PYTEST_ARGS)

# -- benchmarks (issue 7) ----------------------------------------------------------------------

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $@

## make bench: DjangoTokenStore on SQLite, PostgreSQL and MariaDB against the SDK's FileStore and
## DBStore, Zoho's SQLite sample and the raw sqlite3 floor; a 16-process refresh storm; cleanup of
## a million rows. Prints the report and writes docs/benchmarks.md (10-15 minutes; not run in CI).
## BENCH_ARGS go to bench/run.py (--quick: a one-minute smoke run that writes nothing).
BENCH_ARGS ?=
bench: $(VENV)/.bench-installed
	$(PY) -m bench.run $(BENCH_ARGS)

# -- load test (issue 18) ----------------------------------------------------------------------

.PHONY: loadtest loadtest-small

$(VENV)/.load-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[load]"
	touch $@

## make loadtest: the example project under gunicorn (4 workers) and a fake Zoho in its own
## process; 40 users connect at once, then load their leads 20 times in 4 tabs each, every
## access token killed at the fake half-way; on SQLite, PostgreSQL and MariaDB (a server that
## does not answer is left out). Fails on any error page, empty result, lost connection or a
## token not refreshed exactly once. LOADTEST_ARGS go to bench/loadtest.py (--midway none|expire,
## --databases, --db-name, ...).
LOADTEST_ARGS ?=
loadtest: $(VENV)/.load-installed
	$(PY) -m bench.loadtest $(LOADTEST_ARGS)

## make loadtest-small: the CI variant, 10 users x 5 loads x 2 tabs (a minute or two).
loadtest-small: $(VENV)/.load-installed
	$(PY) -m bench.loadtest --users 10 --loads 5 --tabs 2 $(LOADTEST_ARGS)
