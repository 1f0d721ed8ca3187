# Two commands matter on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: venv dev run test test-fast lint format clean bench translations

# Two stamps: `make run` installs what running needs (the app and its dependencies); `make test`, `make lint`
# and the rest add the test and dev tools. Each reinstalls only when the project's metadata changed.
DEV_STAMP := $(VENV)/.installed-dev

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $(DEV_STAMP)

venv: $(STAMP)

dev: $(DEV_STAMP)

run: venv
	$(BIN)/flask --app survey_app demo setup --port $(PORT)
	$(BIN)/flask --app survey_app run --host 127.0.0.1 --port $(PORT)

# Re-extract the app's messages and update the catalogs (translate survey_app/translations/id/…/messages.po),
# then compile; the compiled .mo files are committed so a fresh clone needs no build step.
translations: dev
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_ --no-location --sort-output --project=integrity-survey \
		-o survey_app/translations/messages.pot survey_app questionnaires scoring
	$(BIN)/pybabel update -i survey_app/translations/messages.pot -d survey_app/translations -w 110
	$(BIN)/pybabel compile -d survey_app/translations

# axe-core (package-lock.json) for the browser tests' accessibility checks, only where npm exists.
test: dev
	command -v npm >/dev/null && npm ci --no-audit --no-fund --silent || true
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: dev
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
