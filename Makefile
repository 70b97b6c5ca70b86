# artsearch: `make run` serves the product, `make test` runs every test. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
CHROMIUM := /usr/bin/chromium
CADDY := /usr/bin/caddy
AXE := tests/axe/node_modules/axe-core/axe.min.js
LAUNCH := $(PY) -m artsearch.launcher

.PHONY: run test test-fast manage lint bench bench-quick bench-compare clean-data

$(STAMP): requirements.txt requirements-no-deps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-no-deps.txt
	touch $@

# Debian's chromium for the real-browser tests (Playwright cannot download its own browsers here).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi

# Debian's caddy, for the test that parses the production proxy's configuration (deploy/Caddyfile).
$(CADDY):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy; \
	else echo "The proxy configuration test needs Debian's caddy: sudo apt-get install caddy" >&2; exit 1; fi

# axe-core for the accessibility tests, at the exact version of tests/axe/package-lock.json, from the npm registry.
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	else echo "The accessibility tests need npm: sudo apt-get install npm" >&2; exit 1; fi; }
	npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	touch $@

run: $(STAMP)
	$(LAUNCH) run $(if $(SAMPLE),--sample "$(SAMPLE)")

test: $(STAMP) $(CHROMIUM) $(CADDY) $(AXE)
	$(LAUNCH) test $(PYTEST_ARGS)

# The edit-test loop: everything not marked slow (no browser, Celery worker or web server processes).
test-fast: $(STAMP)
	$(LAUNCH) test -m "not slow" $(PYTEST_ARGS)

manage: $(STAMP)
	$(LAUNCH) manage $(ARGS)

# Benchmarks on their own embedded services under var/bench/ (issue 7): bench/results/latest.{json,md}, ~30 min.
bench: $(STAMP)
	$(LAUNCH) bench $(BENCH_ARGS)

# The same phases at smaller sizes in a few minutes: bench/results/quick.{json,md}.
bench-quick: $(STAMP)
	$(LAUNCH) bench --quick $(BENCH_ARGS)

# This checkout against commit REF over HTTP, side by side in one run: bench/results/compare.{json,md}, ~6 min.
bench-compare: $(STAMP)
	$(LAUNCH) bench --compare $(REF)

lint: $(STAMP)
	$(PY) -m ruff check artsearch gallery tests bench manage.py

# Stops nothing: delete the embedded databases and media only when no `make run` is running.
clean-data:
	rm -rf var/
