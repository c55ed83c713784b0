# Each target builds .venv on first use (Python 3.11+ on PATH as python3), then runs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.skintrack-installed

.PHONY: test test-fast demo app bench lint clean dist dist-check

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "skintrack needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The quick loop while working: everything but the tests marked `slow` (pyproject.toml). CI runs all.
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow"

demo: $(STAMP)
	$(VENV)/bin/skintrack demo -o demo_output

app: $(STAMP)
	env -u QT_QPA_PLATFORM $(VENV)/bin/skintrack app

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The packages the type checker must find clean ([tool.mypy] in pyproject.toml); add one here once
# it is. A bare `.venv/bin/mypy` checks the whole product. Not yet listed: report, cli, app, simulate.
TYPED_PACKAGES := skintrack.core skintrack.storage skintrack.tracking skintrack.words skintrack.cli skintrack.simulate skintrack.report

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy $(addprefix -p ,$(TYPED_PACKAGES))

# The one-folder desktop bundle (ADR 0005): dist/skintrack/, no Python needed where it runs.
# PyInstaller comes from the optional extra [dist], never from the install `make test` uses.
DIST_STAMP := $(VENV)/.skintrack-dist-installed

$(DIST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,dist]'
	@touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/skintrack.spec
	@du -sh dist/skintrack

# Builds the bundle and runs it as a person would, headless (CI calls it after `make test`).
dist-check: dist
	$(PY) packaging/check_bundle.py dist/skintrack

clean:
	rm -rf $(VENV) demo_output .pytest_cache .ruff_cache .mypy_cache build dist
