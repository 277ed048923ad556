# trust-auditor developer entry points. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13: find that exact interpreter (PATH first, then pyenv). Each
# candidate is run, because a pyenv shim exists on PATH even when 3.13 is not the selected version;
# sys.executable resolves a working shim to the real binary, whose directory `sam build` needs.
ifndef PYTHON313
PYTHON313 := $(shell for p in $$(command -v python3.13) $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' 2>/dev/null && break; done)
endif
VENV := .venv
PY := $(VENV)/bin/python
# aws-sam-cli pins boto3 and pydantic: it lives in its own tool virtualenv.
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
PY313_DIR := $(dir $(PYTHON313))
# awslambdaric for the local invoke tier, installed apart from .venv so that only the built
# layer and function are importable next to it (as in Lambda).
RIC_DIR := .tools/ric
RIC_VERSION := 4.2.2
BUILD_DIR := .aws-sam/build
export SAM_CLI_TELEMETRY := 0

.PHONY: help install lint test test-unit test-integration test-local-invoke bench bench-scan bench-peers validate build demo clean

help:
	@echo "make demo    run the local demo (moto as AWS, no account, no Docker)"
	@echo "make test    install and run every test tier"
	@echo "make lint    ruff + mypy --strict on the core"
	@echo "make bench   print benchmark figures (bench-peers: next to Prowler, c7n, policyuniverse)"
	@echo "make validate / make build   sam validate --lint + cfn-lint / sam build"
	@echo "make test-local-invoke   run the built functions under the Lambda RIE (no Docker)"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON313)" || { echo "python3.13 not found (PATH or pyenv): install it first" >&2; exit 2; }
	rm -rf $(VENV)
	$(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(SAM_VENV)/.installed:
	@test -n "$(PYTHON313)" || { echo "python3.13 not found (PATH or pyenv): install it first" >&2; exit 2; }
	rm -rf $(SAM_VENV)
	$(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q aws-sam-cli cfn-lint
	touch $@

$(RIC_DIR)/.installed:
	@test -n "$(PYTHON313)" || { echo "python3.13 not found (PATH or pyenv): install it first" >&2; exit 2; }
	rm -rf $(RIC_DIR)
	$(PYTHON313) -m pip install -q --target $(RIC_DIR) 'awslambdaric==$(RIC_VERSION)'
	touch $@

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint --region us-east-1
	$(SAM_VENV)/bin/cfn-lint template.yaml

# sam build needs a python3.13 on PATH (no Docker); samconfig.toml makes it cached.
build: $(SAM_VENV)/.installed
	PATH=$(PY313_DIR):$$PATH $(SAM) build --build-dir $(BUILD_DIR)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The contract tests run the SAM transform, sam validate and cfn-lint from the tool venv.
test-unit: install $(SAM_VENV)/.installed
	$(VENV)/bin/pytest -q tests/unit tests/contract

test-local-invoke: install build $(RIC_DIR)/.installed
	PYTHON313=$(PYTHON313) $(VENV)/bin/pytest -q tests/local_invoke

# Every tier: unit, contract (incl. template validation), integration, local invoke.
test: install build $(RIC_DIR)/.installed
	PYTHON313=$(PYTHON313) $(VENV)/bin/pytest -q tests

bench: install
	$(PY) bench/bench_evaluate.py
	@$(MAKE) --no-print-directory bench-scan

bench-scan: install
	$(PY) -m bench.bench_scan_calls

# Peer tools' trust-policy logic on the same inputs, in a virtualenv of their own (they pin
# conflicting versions). Prowler is installed without its ~150 dependencies: its policy module
# needs only these few.
PEERS_VENV := .tools/peers
$(PEERS_VENV)/.installed:
	rm -rf $(PEERS_VENV)
	$(PYTHON313) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q policyuniverse==1.5.1.20231109 c7n==0.9.53 py-iam-expand \
		colorama pytz tzlocal requests packaging pydantic
	$(PEERS_VENV)/bin/pip install -q --no-deps prowler==5.46.0 -e .
	touch $@

bench-peers: $(PEERS_VENV)/.installed
	PYTHONPATH=bench $(PEERS_VENV)/bin/python bench/bench_peers.py

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis

# moto on 127.0.0.1 is the AWS: the demo sets its own account (111122223333) and fake
# credentials and drops the shell's AWS_* settings, so it never reaches a real account.
demo: install
	$(PY) -m demo
