# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# `make run` is for this machine: a LAN peer, or a web page rebinding a name to this host,
# must not reach the data a local run loads. ADDRESS=0.0.0.0 ALLOWED_HOSTS='*' opens it
# deliberately (the app still keeps the operator's credentials from other machines).
ADDRESS ?= 127.0.0.1
ALLOWED_HOSTS ?= localhost 127.0.0.1

.PHONY: run test lint format audit bench key migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# The ASGI entry under uvicorn: the pages, /healthz, /readyz, /config-status and the security
# headers. Nothing stands in front of it, so no forwarded header is trusted. Streamlit's own
# options come as STREAMLIT_* variables, which services/web/asgi.py applies as `streamlit run`
# would. (`streamlit run app.py` still serves the pages alone, without the routes and headers.)
run: $(VENV)/.runtime-installed
	STREAMLIT_SERVER_ALLOWED_HOSTS='$(ALLOWED_HOSTS)' $(BIN)/uvicorn services.web.asgi:app \
		--host $(ADDRESS) --port $(PORT) --no-proxy-headers --no-server-header --no-access-log

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# bandit on our code; pip-audit on the runtime requirements when its advisory service answers.
audit: $(VENV)/.dev-installed
	$(BIN)/python .ci/audit.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Prints a new TOKEN_ENCRYPTION_KEY.
key: $(VENV)/.runtime-installed
	@$(BIN)/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

# Migrates the history store of DATABASE_URL (from the environment or .env) to this version's
# schema, as the app does when it starts; says so and fails when DATABASE_URL is not set.
migrate: $(VENV)/.runtime-installed
	$(BIN)/python -m services.storage

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts

# The figures of issue 7 (docs/PERFORMANCE.md): warm reruns against their floors, the
# transactions page at 5k-500k rows, cold and warm loads against the local Plaid double, cache
# hits, server memory and browser timings. One table; JSON under bench/results/. No network.
# `python -m bench pages sizes` runs some sections only; `python -m bench.transactions` the old rows.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench
