# duban: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install static demo test test-fast bench lint clean docs

$(STAMP): requirements.lock pyproject.toml package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/build-static.mjs
	touch $(STAMP)

install: $(STAMP)

static: $(STAMP)
	node scripts/build-static.mjs

demo: install
	$(VENV)/bin/duban demo

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser and not slow"

bench: install
	$(PY) bench/run_all.py

docs: install
	$(PY) -m duban.docs_gen

clean:
	rm -rf $(VENV) node_modules duban/static/vendor staticfiles test-results
