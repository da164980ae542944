# `make` lists the tasks. Everything runs from the project's .venv (made by ./setup).
PY := .venv/bin/python

.PHONY: help setup test test-core test-slow test-deep test-pipewire lint format typecheck house bench platform-matrix run clean

help:  ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## install the Debian packages, .venv and ritual
	./setup

test:  ## every test, real engines included (as CI runs them)
	./setup test

test-core:  ## only the fast tests of the pure core and the CLI (no engines)
	$(PY) -m pytest -q -m "not engine" --ignore=tests/engine

test-slow:  ## tests marked slow: whole rituals spoken in real time and the like (about 5 minutes; CI runs them too)
	$(PY) -m pytest -q -rs -m slow

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PW_ALSA := build/pipewire-alsa

# pipewire-alsa is unpacked, not installed: it conflicts with the pulseaudio package
# the other engine tests use (and would make PipeWire the default of every program).
test-pipewire:  ## the engine tests on a private PipeWire (installs pipewire, pipewire-pulse, wireplumber)
	@command -v pipewire-pulse >/dev/null && command -v wireplumber >/dev/null || \
	  $(SUDO) apt-get install -y -qq --no-install-recommends pipewire pipewire-pulse wireplumber
	@ls /usr/lib/*/alsa-lib/libasound_module_pcm_pipewire.so >/dev/null 2>&1 || \
	  ls $(PW_ALSA)/usr/lib/*/alsa-lib/libasound_module_pcm_pipewire.so >/dev/null 2>&1 || \
	  (mkdir -p $(PW_ALSA) && cd $(PW_ALSA) && apt-get download pipewire-alsa && \
	   dpkg -x pipewire-alsa_*.deb . && rm pipewire-alsa_*.deb)
	RITUAL_TEST_PIPEWIRE_ALSA=$(abspath $(PW_ALSA)) $(PY) -m pytest -q -rs -m "" tests/engine/test_pipewire.py

test-deep:  ## the property tests with every example (slow: minutes)
	RITUAL_PROPERTY_DEPTH=1 $(PY) -m pytest -q tests/test_properties.py

lint:  ## ruff lint and format check
	$(PY) -m ruff check assistant tests bench
	$(PY) -m ruff format --check assistant tests bench

format:  ## format the code with ruff
	$(PY) -m ruff format assistant tests bench
	$(PY) -m ruff check --fix assistant tests bench

typecheck:  ## mypy --strict on the package
	$(PY) -m mypy

house:  ## the shape of the code: modules, import arrows and loops, largest files
	$(PY) -m bench.house

bench:  ## benchmarks on the real engines; writes bench/results.json
	$(PY) -m bench

platform-matrix:  ## set-up and tests on emulated Raspberry Pi OS and Python 3.13 (root; hours)
	python3 -m bench.platform_matrix

run:  ## the morning ritual by voice
	./setup run morning

clean:  ## remove caches (not .venv, not your journal)
	rm -rf .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
