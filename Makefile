# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
HOST ?= localhost
PORT ?= 8000

.PHONY: run test serve check-python system-packages calendar-clients oidc-provider messages bench bench-pages clean

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: '$(PYTHON)' was not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "make: DICAS Portal needs Python 3.11 or newer; '$(PYTHON)' is older." >&2; exit 1; }

$(VENV)/bin/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

## Set up and serve the portal with demo data on http://localhost:8000 (SQLite, tasks in-process).
## `make run HOST=… PORT=…` serves elsewhere; the links in e-mails follow (dicas_portal/serving.py).
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "make run: this is a development server (DEBUG on, SQLite, e-mail to the console, demo accounts)."
	@echo "make run: never use it in production; see 'Running in production' in README.md."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Set up and run the whole test suite. Tests needing PostgreSQL, Redis or a worker
## skip without them, unless CI=true (see .ci/run).
test: $(TEST_STAMP) calendar-clients oidc-provider
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## ical.js (npm, tests/js/package-lock.json), one of the calendar clients the tests read the
## portal's .ics files with. Without Node those tests skip; with CI=true they fail.
JS_TESTS := tests/js
calendar-clients:
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(JS_TESTS) && npm ci --no-audit --no-fund --loglevel=error \
	    || { echo "make: npm ci in $(JS_TESTS) failed." >&2; [ "$$CI" != true ] || exit 1; }; \
	elif [ "$$CI" = true ]; then \
	  echo "make: CI=true but Node.js/npm is missing: the calendar tests need ical.js (apt-get install nodejs npm)." >&2; exit 1; \
	else \
	  echo "make: Node.js/npm is missing (apt-get install nodejs npm); the ical.js calendar tests will be skipped."; \
	fi

## The Debian packages some tests drive (as root: `sudo make system-packages`; CI does it):
## chromium and fonts-noto-cjk for the browser tests (tests/e2e), prometheus for the scrape
## and alert-rule tests, nginx for `nginx -t` of the site in deploy/ (tests/operations),
## postgresql-client for pg_dump and pg_restore behind manage.py backup and restore.
## Without them those tests skip; with CI=true they fail. `make test` never runs apt-get.
SYSTEM_PACKAGES := chromium fonts-noto-cjk prometheus nginx postgresql-client
system-packages:
	@if [ "$$(id -u)" != 0 ]; then echo "make: system-packages runs apt-get: run it as root (sudo make system-packages)." >&2; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)

## The agency sign-in tests (tests/oidc) start a real OpenID provider: node's oidc-provider,
## installed from tests/oidc/package-lock.json with npm ci (Debian's nodejs and npm when root).
## Without them those tests are skipped (in CI they fail).
oidc-provider:
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Debian's nodejs and npm for the agency sign-in tests (apt-get)."; \
	  { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } \
	    || echo "make: apt-get could not install nodejs and npm." >&2; \
	fi
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "make: npm is missing; the agency sign-in tests will be skipped (with CI=true they fail)."; \
	elif [ ! -f tests/oidc/node_modules/.package-lock.json ] || [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then \
	  ( cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error ) \
	    || echo "make: npm ci failed in tests/oidc; the agency sign-in tests will be skipped (with CI=true they fail)." >&2; \
	fi

## Regenerate and compile the Japanese catalogue (needs GNU gettext).
messages: $(TEST_STAMP)
	$(BIN)/python manage.py makemessages -l ja --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --no-location
	msgfmt --check --statistics -o locale/ja/LC_MESSAGES/django.mo locale/ja/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) staticfiles .pytest_cache $(JS_TESTS)/node_modules

## Benchmarks: never part of the test pass (they need PostgreSQL, wrk and a few minutes).
bench-pages: $(TEST_STAMP)
	$(BIN)/python bench/pages.py

## The plan of the schedule's query alone, at a size of your choice: make bench-explain MEETINGS=60000
MEETINGS ?= 600
.PHONY: bench-explain
bench-explain: $(TEST_STAMP)
	$(BIN)/python bench/pages.py --explain-only --meetings $(MEETINGS)

bench: bench-pages

## Notification fan-out against a raw-smtplib baseline, and the publish call for 10 and
## 10,000 recipients (needs PostgreSQL and Redis on 127.0.0.1; a minute or two).
.PHONY: bench-fanout bench-notifications
bench-fanout: $(TEST_STAMP)
	$(BIN)/python bench/fanout.py

bench-notifications: bench-fanout

bench: bench-fanout
