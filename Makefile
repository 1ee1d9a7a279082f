# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install node-packages translations extract-messages bench clean

run: install
	$(BIN)/leerpaspoort serve --host 127.0.0.1 --port 8000

test: install node-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The npm packages the tests run (real xAPI clients, axe-core), installed from their lock files.
NODE_LOCKS := $(shell find tests -name package-lock.json -not -path "*/node_modules/*")
node-packages: $(NODE_LOCKS:package-lock.json=node_modules/.package-lock.json)

%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Compiled catalogues are build output; the .po files are the source.
translations: $(STAMP)
	$(BIN)/pybabel compile -d lti_tool/translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lti_tool/translations/messages.pot .
	$(BIN)/pybabel update -i lti_tool/translations/messages.pot -d lti_tool/translations --no-fuzzy-matching

bench: install
	status=0; for script in benchmarks/[!_]*.py; do $(BIN)/python $$script || status=1; done; exit $$status

clean:
	rm -rf $(VENV) instance .pytest_cache test-output
