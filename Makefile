# Two commands matter on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: venv run test test-fast lint format clean bench translations

# Reinstall only when the project's metadata changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/flask --app survey_app demo setup --port $(PORT)
	$(BIN)/flask --app survey_app run --host 127.0.0.1 --port $(PORT)

# Re-extract the app's messages and update the catalogs (translate survey_app/translations/id/…/messages.po),
# then compile; the compiled .mo files are committed so a fresh clone needs no build step.
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --no-location --sort-output --project=integrity-survey \
		-o survey_app/translations/messages.pot survey_app
	$(BIN)/pybabel update -i survey_app/translations/messages.pot -d survey_app/translations -w 110
	$(BIN)/pybabel compile -d survey_app/translations

# axe-core (package-lock.json) for the browser tests' accessibility checks, only where npm exists.
test: venv
	command -v npm >/dev/null && npm ci --no-audit --no-fund --silent || true
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: venv
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
