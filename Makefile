# duban: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install install-runtime static demo test test-fast bench lint mutate clean docs

# A development or CI machine installs the runtime lock and the test tools; a server needs only requirements.lock
# (`make install-runtime`).
# LDAP sign-in is optional: python-ldap compiles against Debian's libldap2-dev and libsasl2-dev; without them the
# install goes on and the LDAP tests say what is missing (under CI, where .ci/run installs them, they must run).
$(STAMP): requirements.lock requirements-test.lock requirements-ldap.lock pyproject.toml package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-ldap.lock \
	  || echo "make: LDAP sign-in not installed (apt-get install libldap2-dev libsasl2-dev, then make again)"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/build-static.mjs
	touch $(STAMP)

install: $(STAMP)

install-runtime:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .

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

# ruff with the rules chosen in pyproject.toml, and no model change without its migration.
lint: install
	$(PY) -m ruff check --no-cache duban bench scripts
	DUBAN_DATA_DIR="$$(mktemp -d)" $(PY) -m django makemigrations --check --dry-run --settings=duban.settings

# Mutation testing of the rule modules (kill rates: bench/RESULTS.md); long: MUTATE_MAX_CHILDREN bounds its CPU.
mutate: install
	$(PY) scripts/mutate.py

docs: install
	$(PY) -m duban.docs_gen

clean:
	rm -rf $(VENV) node_modules duban/static/vendor staticfiles test-results mutants
