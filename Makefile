# docworker developer tasks. `make help` lists them.
#
# `make test` is the README's test command: it creates .venv from the pinned
# requirements (once, and again when they change) and runs the fast suite.
# `make smoke` replays the Dockerfile in build/replay/venv: the first run installs
# torch and the rest of requirements.txt into a fresh venv (12 minutes on 2 cores,
# several GB); later runs reuse it. Too slow for CI unless build/replay is cached.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
IMAGE ?= docworker:dev

.PHONY: help test test-slow lint smoke smoke-dry image image-smoke bench bench-real eval robustness fuzz clean

help:
	@echo "test         create $(VENV) if needed, run the fast test suite (not slow)"
	@echo "test-slow    the slow tests (full corpus, long fuzzing)"
	@echo "lint         ruff check + ruff format --check"
	@echo "smoke        replay the Dockerfile in a fresh venv, run the CPU jobs of .runpod/tests.json"
	@echo "smoke-dry    print the replay plan without running it"
	@echo "image        docker buildx build -t $(IMAGE) . (needs Docker)"
	@echo "image-smoke  the CPU jobs of .runpod/tests.json inside $(IMAGE) (needs Docker)"
	@echo "bench        bench/run_all.py (generated documents; real ones too when ../shared/corpus exists)"
	@echo "bench-real   real documents beside raw pypdfium2 and Tesseract, and the OCR settings (../shared/corpus)"
	@echo "eval         python -m docworker eval --checks (CER, checks, peers) -> docs/QUALITY.md"
	@echo "robustness   every hostile corpus file through one worker -> docs/ROBUSTNESS.md"
	@echo "fuzz         the long fuzzing run (FUZZ_EXAMPLES, default 2000)"

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements-dev.txt -e .
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

smoke:
	$(PYTHON) scripts/replay_dockerfile.py --python $(PYTHON)

smoke-dry:
	$(PYTHON) scripts/replay_dockerfile.py --dry-run

image:
	docker buildx build --platform linux/amd64 --load -t $(IMAGE) .

image-smoke:
	$(PYTHON) scripts/replay_dockerfile.py --docker $(IMAGE)

bench: $(STAMP)
	$(PY) bench/run_all.py

bench-real: $(STAMP)
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) bench/run_all.py --only real ocr_tuning

eval: $(STAMP)
	$(PY) -m pip install -q -r bench/requirements.txt
	nice $(PY) -m docworker eval --corpus ../shared/corpus --corpus corpus --out docs/QUALITY.md --checks

robustness: $(STAMP)
	$(PY) -m bench.robustness --doc docs/ROBUSTNESS.md

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} $(PY) -m pytest -q -m slow tests/test_fuzz.py

clean:
	rm -rf build/replay .pytest_cache .ruff_cache
