# Two commands for a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations js lint bench soak faults clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

translations: $(STAMP)
	@$(BIN)/pybabel compile --use-fuzzy -d planner/translations --statistics 2>&1 | grep -v '^$$' || true

run: export PLANNER_LOG_FORMAT ?= text
run: $(STAMP) translations
	$(BIN)/flask --app wsgi planner init-db
	$(BIN)/flask --app wsgi planner demo --if-empty --url http://$(HOST):$(PORT)
	@echo "Planner is at http://$(HOST):$(PORT)/"
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The calendar parsers the tests read the planner's iCalendar with (ical.js); skipped without npm.
js:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm not found: the tests that read calendars with ical.js will be skipped"; \
	elif ! test tests/js/node_modules/.package-lock.json -nt tests/js/package-lock.json; then \
	  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error \
	    || echo "npm could not install ical.js: the tests that read calendars with it will be skipped"; \
	fi

test: $(STAMP) translations js
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planner tests bench
	$(BIN)/ruff format --check planner tests bench

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The fault suite with its figures (needs PLANNER_TEST_DATABASE_URL and PLANNER_TEST_BROKER_URL).
faults: $(STAMP) translations
	$(BIN)/python bench/faults.py

# SOAK_SECONDS=600 at most; the default is 3 minutes.
soak: $(STAMP)
	$(BIN)/python bench/soak.py --seconds $(or $(SOAK_SECONDS),180)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
