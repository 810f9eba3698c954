# Lantern: `make run` starts the bot, `make test` runs the tests. Each sets itself up first
# (a virtual environment in .venv, reinstalled when the requirements change).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp

.PHONY: run sync migrate test test-postgres lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python bot.py

sync: $(STAMP)
	$(BIN)/python bot.py sync $(if $(GUILD),--guild $(GUILD),)

migrate: $(STAMP)
	$(BIN)/python bot.py migrate

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/matching.py --sizes 1k,10k
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
