# FreshLedger: the two commands a new user needs are `make demo` and `make test`.
# Every target that needs tools depends on `setup`, which installs only what is missing
# or out of date (stamp files next to each install).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BROWNIE_VENV := .venv-brownie
TOOLCHAIN := build/toolchain
SOLC_VERSION := 0.8.28
# brownie (through py-solc-x) finds the solc-js shim here, and `anvil` on PATH.
BROWNIE_ENV := PATH="$(CURDIR)/$(TOOLCHAIN)/bin:$$PATH" SOLCX_BINARY_PATH="$(CURDIR)/$(TOOLCHAIN)/solcx"
# brownie network of `make brownie-deploy`: "development" launches a throwaway anvil on 8545
# (or attaches to a chain already there), "anvil" attaches to `freshledger chain start`'s
# chain on 8545; any other network needs FRESHLEDGER_DEPLOYER_KEY or
# FRESHLEDGER_BROWNIE_ACCOUNT (see scripts/deploy.py).
NETWORK ?= development

.PHONY: setup system-packages demo test test-python test-brownie lint bench-gas brownie-compile brownie-test brownie-deploy chain-stop clean

setup: system-packages $(VENV)/.installed $(BROWNIE_VENV)/.installed node_modules/.installed $(TOOLCHAIN)/.linked

# Debian packages: a CJK font for sale labels (reportlab embeds its TrueType outlines),
# Chromium for the shopper-page tests, wrk, the C load generator of bench/api.py, and
# Mosquitto, the MQTT broker between the stalls' scales and the stall gateway (the tests and
# the demo start their own on a free port; the Debian service on 1883 is never used).
# Installed only when missing; needs root (or sudo).
SYSTEM_PACKAGES := fonts-wqy-zenhei chromium wrk mosquitto
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

$(BROWNIE_VENV)/.installed: requirements-brownie.lock
	test -x $(BROWNIE_VENV)/bin/python || $(PYTHON) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install --quiet --upgrade pip
	$(BROWNIE_VENV)/bin/pip install --quiet -r requirements-brownie.lock
	touch $@

# Symlinks, not copies: the shim finds solc-js relative to its real location.
$(TOOLCHAIN)/.linked: node_modules/.installed tools/solc-shim.cjs
	mkdir -p $(TOOLCHAIN)/solcx $(TOOLCHAIN)/bin
	ln -sfn ../../../tools/solc-shim.cjs $(TOOLCHAIN)/solcx/solc-v$(SOLC_VERSION)
	ln -sfn ../../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil $(TOOLCHAIN)/bin/anvil
	touch $@

demo: setup
	$(VENV)/bin/freshledger demo

test: test-python test-brownie

# pytest exits 5 when it collects no tests: say so loudly but do not fail on it alone.
# Two xdist workers (the machines have two cores): each has its own anvil, databases and ports.
PYTEST_WORKERS ?= 2
test-python: setup
	@status=0; $(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests (exit 5)" >&2; status=0; fi; \
	exit $$status

test-brownie: brownie-test

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench-gas: setup
	@$(VENV)/bin/python bench/gas.py

brownie-compile: setup
	$(BROWNIE_ENV) $(BROWNIE_VENV)/bin/brownie compile

# The suite launches its own anvil on port 8555 (tests/brownie/conftest.py) and brownie kills
# it at the end; tests/brownie/pytest.ini keeps the main suite's conftest out.
brownie-test: setup
	$(BROWNIE_ENV) $(BROWNIE_VENV)/bin/brownie test tests/brownie

brownie-deploy: setup
	$(BROWNIE_ENV) $(BROWNIE_VENV)/bin/brownie run scripts/deploy.py --network $(NETWORK)

chain-stop:
	-$(VENV)/bin/freshledger chain stop

clean: chain-stop
	rm -rf build .pytest_cache .hypothesis
