# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app
PG_TEST_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/test

.PHONY: run keys test install install-test translations translations-update system-deps lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations

# Compiled catalogues are build output (.mo files are not committed).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -f -d translations -D messages > $(VENV)/pybabel.log 2>&1 || (cat $(VENV)/pybabel.log; exit 1)

# After changing a message in the code or a template: the catalogues learn the new msgids
# (translations keep theirs); write the Chinese into
# translations/zh_Hans_CN/LC_MESSAGES/messages.po, the one place it is kept; the test then
# names any message still without Chinese. English needs nothing: the msgids are English.
translations-update: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ --no-location --omit-header \
		--ignore-dirs=".venv migrations tests bench .git" -o translations/messages.pot . > /dev/null
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
		--ignore-obsolete -w 100 > /dev/null
	$(BIN)/pybabel compile -f -d translations -D messages > /dev/null
	$(BIN)/pytest -q -p no:randomly -p no:xdist tests/unit/shared/test_catalogue.py

# The instance's encryption keys, made once (never replaced: data sealed with them would be lost).
keys: install
	$(BIN)/python -m services.admin.keyfile instance/encryption_keys.json

run: install keys
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Panel: http://127.0.0.1:$(PORT)/login  (demo accounts: instance/demo-accounts.txt)"
	PANEL_BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# Debian's Chromium and CJK fonts for the browser tests; installed only when missing.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# Every test on SQLite, then again on PostgreSQL when one answers on 127.0.0.1:5432, each
# spread over the cores (pytest-xdist; one database per worker); then the day-sensitive
# tests again at each named instant of tests/conftest.py (a Sunday morning that is still
# Saturday in UTC, Spring Festival, New Year's morning).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS)

test: install-test system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(PYTEST)
	@if $(BIN)/python -c "import psycopg2; psycopg2.connect('dbname=test user=postgres host=127.0.0.1 port=5432', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== again on PostgreSQL =="; \
		TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST); \
	else \
		echo "PostgreSQL not answering on 127.0.0.1:5432; SQLite only"; \
	fi
	@echo "== day-sensitive tests at the named instants =="
	PANEL_TEST_INSTANTS=all $(PYTEST) -m day_sensitive

bench: install
	$(BIN)/python bench/run.py

# Fifty simulated users on the served panel (gunicorn, a scratch database, a Redis of its own),
# then the books: bench/load/run.py, figures in docs/load.md. Size and time from LOAD_ARGS, e.g.
# make load LOAD_ARGS="--db sqlite --prospects 100000 --duration 180 --fault sigkill"
.PHONY: load
LOAD_ARGS ?=
load: install-test
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)
