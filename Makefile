# Two commands for a newcomer: `make demo` runs the example project, `make test` runs
# everything CI runs. `make check` is the quick loop while working. All set up their own
# virtualenv in .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
MARIADB_URL ?= mysql://root:@127.0.0.1:3306/test
PYTEST_ARGS ?=
# The suites run on every core (pytest-xdist), the `slow` tests one after another on one
# worker (tests/conftest.py); XDIST= runs them in one process.
XDIST ?= -n auto --dist loadgroup

# -- the two commands, and the quick one ------------------------------------------------------

.PHONY: test check

## make test: everything CI runs, about 28 minutes on two idle cores (26 measured, plus the docs
## and the newcomer test, about two minutes). Each step below runs even
## when one before it failed, and the run ends with one line per step and
## `make test: N passed, N failed`. A step whose server, browser or interpreter is missing here
## is skipped with one line saying what and how to enable it; under CI=true that is a failure.
TEST_STEPS := lint typecheck migrations-check docs test-sqlite test-postgres test-mariadb \
    test-browser wheel-check matrix-edges test-repeat
test: dev-venv
	@$(PY) scripts/run_steps.py --name "make test" --make "$(MAKE)" $(TEST_STEPS)

## make check: lint, types, the migrations check and the SQLite suite, about 2.5 minutes idle:
## the loop while working. `make test` before asking for a merge.
CHECK_STEPS := lint typecheck migrations-check test-sqlite
check: dev-venv
	@$(PY) scripts/run_steps.py --name "make check" --make "$(MAKE)" $(CHECK_STEPS)

# -- virtualenvs: .venv, with what each command needs -------------------------------------------

.PHONY: venv dev-venv

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
		echo "make: $(PYTHON) is missing or older than 3.10; PYTHON=python3.12 make ... names another."; \
		exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "make: '$(PYTHON) -m venv' failed; on Debian or Ubuntu, apt-get install python3-venv."; \
		exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

# make demo: the package alone (Django, the Zoho SDK, cryptography, requests).
$(VENV)/.demo-installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

# The test suite: pytest, the database drivers, ruff.
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed

dev-venv: $(VENV)/.dev-installed

# The extras of each stamp $(VENV)/.<name>-installed, on top of the test suite's:
# dev: nox, mypy + django-stubs, build and pre-commit (with the `browser` extra, so that mypy
# sees Playwright's types); browser: the browser tests' Playwright; bench: the driver the SDK's
# DBStore needs (mysql-connector-python) and pyinstrument; docs: Sphinx, the furo theme and MyST
# (Markdown pages); load: gunicorn, to serve the example project (make loadtest).
EXTRAS_dev := dev,browser
EXTRAS_browser := test,browser
EXTRAS_bench := bench
EXTRAS_docs := docs
EXTRAS_load := load

$(VENV)/.%-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[$(EXTRAS_$*)]"
	touch $@

# -- the steps of make test ---------------------------------------------------------------------

.PHONY: lint format typecheck migrations-check test-sqlite test-postgres test-mariadb

# $(call when_present,CHECK,COMMAND): COMMAND when `scripts/prerequisites.py CHECK` finds what
# it needs. Otherwise that script has printed the one line saying what is skipped and how to
# enable it, and the step passes; under CI=true it fails.
when_present = status=0; $(PY) scripts/prerequisites.py $(1) || status=$$?; \
	if [ $$status = 0 ]; then $(2); else [ $$status = 3 ]; fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make typecheck: mypy with django-stubs over zoho_tokens, tests and scripts (~20 s cold).
typecheck: dev-venv
	$(VENV)/bin/mypy

migrations-check: venv
	$(PY) -m django makemigrations --check --dry-run --settings=tests.settings --pythonpath=.

test-sqlite: venv
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

## make test-postgres, make test-mariadb: the suite on the server of POSTGRES_URL / MARIADB_URL.
test-postgres: venv
	@$(call when_present,database $@ POSTGRES_URL "$(POSTGRES_URL)",\
		echo "== $@ ($(POSTGRES_URL))"; DATABASE_URL="$(POSTGRES_URL)" $(PY) -m pytest $(XDIST) $(PYTEST_ARGS))

test-mariadb: venv
	@$(call when_present,database $@ MARIADB_URL "$(MARIADB_URL)",\
		echo "== $@ ($(MARIADB_URL))"; DATABASE_URL="$(MARIADB_URL)" $(PY) -m pytest $(XDIST) $(PYTEST_ARGS))

# -- the documentation site ---------------------------------------------------------------------

.PHONY: docs

## make docs: the documentation site from docs/*.md (Sphinx, furo, MyST) into docs/_build/html/,
## read afresh (-E) with every warning an error (-W), as CI builds it (about 15 s).
## docs/index.md says how the pages are organised, and how a new page joins its section.
docs: $(VENV)/.docs-installed
	$(PY) -m sphinx -E -W --keep-going -q -b html docs docs/_build/html
	@echo "make docs: docs/_build/html/index.html"

# -- packaging and the version matrix ----------------------------------------------------------

.PHONY: wheel-check matrix matrix-edges

## make wheel-check: build sdist + wheel, install the wheel into a fresh virtualenv, and use it
## from a throwaway Django project (migrate, check --deploy, a token store round trip).
## WHEEL_PYTHON=/path/to/python installs it under another interpreter.
WHEEL_PYTHON ?= $(PY)
wheel-check: dev-venv
	$(PY) scripts/check_wheel.py --python "$(WHEEL_PYTHON)"

# $(call nox_sessions,TAG,NOX ARGUMENTS): nox over the sessions tagged TAG ("all": every one)
# whose interpreters are here; one line names those that are not (a failure under CI=true).
nox_sessions = status=0; $(PY) scripts/prerequisites.py pythons $@ --tag $(1) || status=$$?; \
	if [ $$status = 3 ]; then exit 0; fi; \
	$(VENV)/bin/nox $(if $(filter all,$(1)),,-t $(1)) $(2) || status=1; exit $$status

## make matrix: the suite on SQLite under every Python (3.10-3.13, from pyenv) x Django
## (4.2, 5.2, 6.0, 6.1) pair that Django supports; see noxfile.py. NOX_ARGS go to nox.
NOX_ARGS ?=
matrix: dev-venv
	@$(call nox_sessions,all,$(NOX_ARGS) -- $(XDIST))

## make matrix-edges: only the oldest (Python 3.10 + Django 4.2) and newest (3.13 + 6.1) pairs.
matrix-edges: dev-venv
	@$(call nox_sessions,edges,$(NOX_ARGS) -- $(XDIST))

# -- tests that must pass every time: run again and again -------------------------------------

.PHONY: test-repeat

## make test-repeat: the tests that race processes, threads or a browser, run many times over
## in one pytest run each (--keep-duplicates collects a file once per mention): REPEAT_TESTS
## REPEAT times under both matrix edges (SQLite), the browser tests BROWSER_REPEAT times (the
## newcomer's project once, in make test-browser: it races nothing, and takes a minute and more).
## A flaky test fails here sooner or later. Reuses the edge virtualenvs of matrix-edges.
REPEAT ?= 5
REPEAT_TESTS ?= tests/test_concurrency.py
BROWSER_REPEAT ?= 3
times = $(foreach _,$(shell seq $(1)),$(2))
test-repeat: dev-venv $(VENV)/.browser-installed
	@status=0; \
	( $(call nox_sessions,edges,-R -- --keep-duplicates $(call times,$(REPEAT),$(REPEAT_TESTS))) ) \
		|| status=1; \
	( $(call when_present,chromium $@ "$(CHROMIUM)",CHROMIUM="$(CHROMIUM)" $(PY) -m pytest \
		--ds=tests.browser.settings --keep-duplicates --ignore=tests/browser/test_newcomer.py \
		$(call times,$(BROWSER_REPEAT),tests/browser)) ) \
		|| status=1; \
	exit $$status

# -- the example project: make demo, and the browser tests -------------------------------------

.PHONY: demo chromium test-browser

## make demo: the example project at http://127.0.0.1:8000/ (next free port if busy) with a fake
## Zoho; prints the URL and the demo login last. Ctrl-C stops both servers. Installs the package
## alone into .venv. With ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET (and ZOHO_DATA_CENTER) set it uses
## real Zoho; see example_project/README.md.
demo: $(VENV)/.demo-installed
	@$(PY) scripts/demo.py

## CHROMIUM: the Chromium the browser tests drive (default Debian's /usr/bin/chromium).
CHROMIUM ?= /usr/bin/chromium
BROWSER_PYTEST_ARGS ?=

## make chromium: install Debian's chromium and chromium-driver when missing (root or sudo).
## A separate step: make test never installs system packages.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests ..."; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## make test-browser: the example project clicked through in headless Chromium against the fake
## Zoho, and the newcomer's project (tests/browser/test_newcomer.py: the tutorial pasted into a
## new startproject, on SQLite and on a fresh database of POSTGRES_URL's server) (about 2.5
## minutes). Screenshots of every step go to artifacts/screenshots/.
test-browser: $(VENV)/.browser-installed
	@$(call when_present,chromium $@ "$(CHROMIUM)",\
		CHROMIUM="$(CHROMIUM)" NEWCOMER_POSTGRES_URL="$(POSTGRES_URL)" \
		$(PY) -m pytest tests/browser --ds=tests.browser.settings $(BROWSER_PYTEST_ARGS))

# -- benchmarks: DjangoTokenStore against the SDK's own stores --------------------------------

.PHONY: bench

## make bench: DjangoTokenStore on SQLite, PostgreSQL and MariaDB against the SDK's FileStore and
## DBStore, Zoho's SQLite sample and the raw sqlite3 floor; a 16-process refresh storm; cleanup of
## a million rows. Prints the report and writes docs/benchmarks.md (10-15 minutes).
## BENCH_ARGS go to bench/run.py: --quick is the one-to-two-minute smoke run CI makes, which
## writes nothing unless given --output. Then bench/async_path: one ASGI worker with asession_for
## against one WSGI worker (8 threads) with session_for, the fake Zoho answering in 200 ms
## and bench/celery_path: Celery tasks with zoho_task + acting_as against the SDK with a zero-cost
## store (docs/benchmarks-async.md; under --quick a few seconds each, written nowhere).
BENCH_ARGS ?=
bench: $(VENV)/.bench-installed
	$(PY) -m bench.run $(BENCH_ARGS)
	@# The async and Celery benches write their own page (docs/benchmarks-async.md), or with
	@# --quick only print: BENCH_ARGS' --output is bench.run's page, which they must not overwrite.
	$(PY) -m bench.async_path $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.celery_path $(filter --quick,$(BENCH_ARGS))

# -- load test: the example project under gunicorn, many users at once ----------------------

.PHONY: loadtest loadtest-small

## make loadtest: the example project under gunicorn (4 workers) and a fake Zoho in its own
## process; 40 users connect at once, then load their leads 20 times in 4 tabs each, every
## access token killed at the fake half-way; on SQLite, PostgreSQL and MariaDB (a server that
## does not answer is left out). Fails on any error page, empty result, lost connection or a
## token not refreshed exactly once. LOADTEST_ARGS go to bench/loadtest/main.py (--midway none|expire,
## --databases, --db-name, ...).
## Then the full Celery run of tests/workers: 1,000 tasks of 50 users on a real worker (prefork 4
## and threads 8) against Redis db 1 (ZOHO_TOKENS_TEST_REDIS to change).
LOADTEST_ARGS ?=
loadtest: $(VENV)/.load-installed
	$(PY) -m bench.loadtest $(LOADTEST_ARGS)
	ZOHO_TOKENS_CELERY_RUN=full $(PY) -m pytest -p no:cacheprovider -q tests/workers/test_celery.py
	$(MAKE) loadtest-limits

## make loadtest-limits: Zoho's limits (docs/limits.md): 40 users of one organisation, 4 web +
## 8 task workers against a fake Zoho whose cap on calls in flight is 10, on PostgreSQL and
## with the slots in Redis. Fails on a call beyond the cap, a 429, a page neither served nor
## a 503 with Retry-After, or a throughput below 90 % of the cap's ceiling.
.PHONY: loadtest-limits
loadtest-limits: $(VENV)/.load-installed
	$(PY) -m bench.loadtest.limits --database postgres
	$(PY) -m bench.loadtest.limits --database postgres --cache redis://127.0.0.1:6379/2

## make loadtest-small: the CI variant, 10 users x 5 loads x 2 tabs (a minute or two).
loadtest-small: $(VENV)/.load-installed
	$(PY) -m bench.loadtest --users 10 --loads 5 --tabs 2 $(LOADTEST_ARGS)
	$(PY) -m bench.loadtest.limits --users 12 --web 2 --tasks 4 --cap 4 --latency 0.5 --seconds 10
