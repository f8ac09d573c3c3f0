# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_TOOLS := tests/clients/node_modules/.installed
STACK_SERVERS := tests/servers/node_modules/.installed

.PHONY: install run test lint bench contracts clean browser

RUN_STAMP := $(VENV)/.installed-run

# What serving needs, alone: `make run` on a fresh clone installs no test tools (and keeps the venv's own pip).
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (containers often set it), Python
# never writes it later, and every start of the fake, of a contract run, of a test worker compiled each
# package again (0.8 s a process, measured).
$(RUN_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt --editable .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the kit and its development tools with pinned versions.

$(NODE_TOOLS): tests/clients/package.json tests/clients/package-lock.json  ## The npm tools the client checks use.
	npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error
	touch $(NODE_TOOLS)

$(STACK_SERVERS): tests/servers/package.json tests/servers/package-lock.json  ## Fastify and Koa, for servers of other stacks.
	npm ci --prefix tests/servers --no-audit --no-fund --loglevel=error
	touch $(STACK_SERVERS)

browser:  ## Debian's headless Chromium and its WebDriver, for the browser tests (installed when missing).
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

run: $(RUN_STAMP)  ## Start the fake on http://127.0.0.1:8080 with demo data (installs only what serving needs).
	$(BIN)/mockserver serve $(ARGS)

lint: install  ## Lint, format check and type check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Three workers on two cores: much of the suite waits on subprocesses and sockets (measured: 293 s with
# two workers, 237 s with three).
test: lint $(NODE_TOOLS) $(STACK_SERVERS) browser  ## Every test, after lint and type checks.
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/pytest -n 3 $(PYTEST_ARGS)

contracts: install  ## Run the contract checks against BASE_URL.
	$(BIN)/contracts --base-url $(BASE_URL) $(ARGS)

PRISM := bench/prism/node_modules/.bin/prism

$(PRISM): bench/prism/package.json bench/prism/package-lock.json  ## Stoplight Prism, measured beside the fake.
	npm ci --prefix bench/prism --no-audit --no-fund --loglevel=error
	touch $(PRISM)

bench: install $(PRISM) $(STACK_SERVERS)  ## Every benchmark; writes bench/RESULTS.md (needs wrk, valgrind, strace: installed if missing).
	command -v wrk >/dev/null && command -v valgrind >/dev/null && command -v strace >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq wrk valgrind strace)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis tests/clients/node_modules tests/servers/node_modules tests/clients/generated \
		bench/prism/node_modules
