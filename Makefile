# OpenDSO. The two commands a newcomer needs: `make run` and `make test`.
# Both install what they need (uv, then the locked dependencies) on a fresh machine.

PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: setup run test test-unit lint format typecheck proto check-proto bench clean

setup:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet

run: setup web
	$(UV) run opendso run $(ARGS)

test: setup test-web test-e2e
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

# The web client (clients/web, Node 20.19+): npm ci installs exactly what package-lock.json pins.
.PHONY: web test-web chromium test-e2e
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# --prefer-offline: a package already in npm's cache is not asked for again (the lock pins it exactly).
web:
	cd clients/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline && npm run build

test-web:
	cd clients/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline && npm test

# Debian's chromium drives the browser tests; Playwright never downloads a browser of its own.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; } || true

# The browser tests start the whole system themselves (clients/web/e2e/global-setup.ts). Without a chromium
# (a machine that cannot install Debian packages) they are skipped, loudly, rather than failing the suite.
test-e2e: setup chromium
	@if command -v chromium >/dev/null 2>&1; then \
		cd clients/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline && npm run e2e; \
	else echo "*** SKIPPED the browser tests: no chromium, and apt-get could not install it ***"; fi
