# gradrpc: `make serve` runs the service, `make test` runs every check. Both create the
# virtual environment they need (.venv, Python 3.11) and install into it.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PROTO := protos/gradrpc/v1/gradrpc.proto

.PHONY: serve test lint proto proto-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The server alone: the package with its kernels.
$(VENV)/.server: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $@

# Everything the tests need: the server, torch (the oracle), pytest, ruff, grpcio-tools.
$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.server

node_modules/.bin/buf: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The Node.js example's gRPC packages, from its lockfile (tests/test_node_example.py runs it).
examples/node/node_modules/.installed: examples/node/package.json examples/node/package-lock.json
	cd examples/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

serve: $(VENV)/.server
	exec $(BIN)/gradrpc-server $(ARGS)

test: $(VENV)/.dev node_modules/.bin/buf examples/node/node_modules/.installed lint
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev node_modules/.bin/buf
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node_modules/.bin/buf lint

# Regenerate the committed protobuf code (tests/test_contract.py fails when it drifts).
proto: $(VENV)/.dev
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=protos --pyi_out=protos \
		--grpc_python_out=protos $(PROTO)

bench: $(VENV)/.dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules build *.egg-info
