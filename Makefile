# The two set-up commands of README.md. Each does its own set-up on a fresh Debian/Ubuntu machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEB_PKGS := pcscd vsmartcard-vpcd libpcsclite-dev tmux fiu-utils libfiu0 strace

.PHONY: demo test bench mutation system-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# pyscard builds from source (no Linux wheel): it needs libpcsclite-dev and a C compiler.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

system-deps:
	@if [ "$$(id -u)" = "0" ]; then \
		missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi; \
	else \
		for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || { echo "missing Debian package $$p: run as root: apt-get install -y $(DEB_PKGS)"; exit 1; }; done; \
	fi

demo: system-deps $(VENV)/.installed
	$(BIN)/posterm demo

test: system-deps $(VENV)/.installed
	$(BIN)/python -m pytest

# strace counts fsyncs in bench_txn; the PC/SC benchmarks start a private pcscd (root).
bench: system-deps $(VENV)/.installed
	@command -v strace >/dev/null || { [ "$$(id -u)" = "0" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace; } || true
	$(BIN)/python -m bench

# Mutation testing of terminal/txn and terminal/store (docs/mutation.md): long; prints the score at the end.
mutation: system-deps $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,mutation]'
	$(BIN)/python -m bench.mutation $(MUTANTS)

clean:
	rm -rf $(VENV) build *.egg-info
