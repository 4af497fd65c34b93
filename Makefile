# OpenDSO. The two commands a newcomer needs: `make run` and `make test`.
# Both install what they need (uv, then the locked dependencies) on a fresh machine.

PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: setup run test test-unit lint format typecheck proto check-proto bench clean

setup:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet

run: setup
	$(UV) run opendso run $(ARGS)

test: setup
	$(UV) run pytest

test-unit: setup
	$(UV) run pytest -m "not integration and not e2e"

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

typecheck: setup
	$(UV) run mypy

proto: setup
	$(UV) run python tools/gen_contracts.py

bench: setup
	$(UV) run python tools/bench.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
