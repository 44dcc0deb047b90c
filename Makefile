# Sender: `make run` starts everything locally, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PKGS := -e libs/sender_common -e services/origin -e services/edge -e services/metrics -e cli
# `make test` runs the suite on JOBS pytest-xdist workers, one test module each at a time
# (--dist loadfile: a module's fixtures start once); JOBS=1 runs it serially, as does plain
# `pytest -q`. 2 matches CI's 2 cores; more workers than cores starve the real-time tests.
JOBS ?= 2
PLAYER_DIST := libs/sender_common/src/sender_common/player/static/dist/player.js
CONSOLE_DIST := $(dir $(PLAYER_DIST))console.js

.PHONY: setup system-deps venv player run test check fmt lint types smoke e2e bench clean \
	container-deps images e2e-containers

setup: system-deps venv player

system-deps:
	./scripts/install-system-deps

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt libs/sender_common/pyproject.toml services/*/pyproject.toml cli/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(PKGS) -r requirements-dev.txt
	touch $@

player: $(PLAYER_DIST) $(CONSOLE_DIST)

# one npm build writes both bundles
$(PLAYER_DIST) $(CONSOLE_DIST) &: player/package.json player/package-lock.json $(wildcard player/src/*.ts) $(wildcard player/src/console/*) player/build.mjs player/tsconfig.json
	cd player && npm ci --no-audit --no-fund --loglevel=error && npm run build

run: setup
	$(BIN)/sender up --demo

test: setup
ifeq ($(JOBS),1)
	$(BIN)/pytest -q
else
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile
endif

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: venv
	$(BIN)/mypy libs/sender_common/src services/origin/src services/edge/src services/metrics/src cli/src
	$(BIN)/mypy tests e2e bench

check: fmt lint types test

smoke: setup
	$(BIN)/python -m sender_cli.smoke

e2e: setup
	$(BIN)/pytest -q e2e

# Container images (podman or docker); not part of `make test`: see deploy/README.md.
container-deps:
	./scripts/install-container-deps

# The engine: podman, or docker when its daemon answers, else podman installed (see
# scripts/container-engine).
images: player
	./scripts/build-images

e2e-containers: venv images
	CONTAINER_ENGINE=$$(./scripts/container-engine) SENDER_E2E_CONTAINERS=1 $(BIN)/pytest -q e2e/containers

bench: setup
	$(BIN)/python bench/origin_latency.py
	$(BIN)/python bench/edge.py
	$(BIN)/python bench/metrics_ingest.py
	$(BIN)/python bench/srt_ingest.py
	$(BIN)/python bench/load.py --seconds 60
	$(BIN)/python bench/dvr.py
	$(BIN)/python bench/latency.py --seconds 60

clean:
	rm -rf $(VENV) player/node_modules $(dir $(PLAYER_DIST)) build
