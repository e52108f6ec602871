# The two commands a newcomer needs: `make up` runs the platform, `make test` runs the tests.
# Only Python 3.11+ is assumed: uv is installed into .mile/tools when it is not on PATH.

UV ?= $(shell command -v uv 2>/dev/null || echo .mile/tools/bin/uv)
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
BENCH_ARGS ?=
export UV_PYTHON_DOWNLOADS := never
# Installs compile every module's bytecode, as the image does: without it, each process compiled
# what it imported, and what it first imported at its first batch (anyio's event-loop backend,
# 0.25 s of CPU) counted against that batch.
export UV_COMPILE_BYTECODE := 1

.PHONY: up test lint schemas bench

up: $(UV)
	$(UV) sync --frozen --quiet
	$(UV) run --frozen mile-dev up

test: $(UV)
	$(UV) sync --frozen --quiet
	$(UV) run --frozen pytest $(PYTEST_ARGS)

lint: $(UV)
	$(UV) sync --frozen --quiet
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen python -m mile_schemas.generate --check

schemas: $(UV)
	$(UV) run --frozen python -m mile_schemas.generate

# Every benchmark, then bench/RESULTS.md rewritten (BENCH_ARGS='--quick' or '--only e2e' for less).
bench: $(UV)
	$(UV) sync --frozen --quiet
	$(UV) run --frozen python bench/results.py $(BENCH_ARGS)

.mile/tools/bin/uv:
	python3 -m venv .mile/tools
	.mile/tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
