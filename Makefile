# Convenience wrappers around ./lantern, which sets itself up on first use.
.PHONY: run sync migrate test lint format clean

run:
	@./lantern run

sync:
	@./lantern sync $(if $(GUILD),--guild $(GUILD),)

migrate:
	@./lantern migrate

test:
	@./lantern test

lint:
	@./lantern lint

format:
	@./lantern lint >/dev/null 2>&1 || true
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf .venv .pytest_cache .ruff_cache .mypy_cache .hypothesis
