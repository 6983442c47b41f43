# Two commands for a fresh machine (Python 3.11+):
#   make run    set up, load the bundled data into the embedded store, serve on 127.0.0.1:5000
#   make test   set up (including system packages the tests use) and run the whole test suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint system-deps clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/tillvaxtgraf load
	$(BIN)/tillvaxtgraf serve --host $(HOST) --port $(PORT)

system-deps:
	@bash .ci/system-deps

lint: setup
	$(BIN)/ruff check .

test: setup system-deps lint
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest
	# The service suite again, every app over the remote backend (`oxigraph serve`):
	PATH="$(abspath $(BIN)):$$PATH" PYTHONPATH=tests/store $(BIN)/python -m pytest \
		-p remote_service_plugin tests/service --deselect tests/service/api/test_openapi.py

clean:
	rm -rf $(VENV) tillvaxtgraf-store .pytest_cache
