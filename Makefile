# Two commands: `make run` (the whole demo system) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
INSTANCE ?= instance/demo

.PHONY: run test setup setup-run system-deps vendor bench clean

$(VENV)/.installed: requirements.txt requirements-kiosk.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

setup-run: $(VENV)/.installed
	deploy/system-deps.sh run

setup: $(VENV)/.installed
	deploy/system-deps.sh test

run: setup-run
	$(PY) -m server demo-run --instance $(INSTANCE) --host $(HOST) --port $(PORT)

test: setup
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

# Re-vendor the front-end libraries from npm at the versions pinned in package-lock.json.
vendor:
	npm ci --no-audit --no-fund
	$(PY) -m server.vendor

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
