# The CPU image: validate, judge, analyze, register and reference-rollout steps (API clients,
# Great Expectations, MLflow), and the MLflow server of k8s/mlflow.yaml.
# Build from the repository root: docker build -f images/base.Dockerfile -t procsft-base .
FROM python:3.11.14-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PROCSFT_CACHE=/mnt/runs/_cache/procsft \
    HF_HOME=/mnt/runs/_cache/huggingface

# KFP's launcher stages artifacts under /gcs, /minio and /s3: a non-root step must own them
# (kubeflow/pipelines #5673).
RUN useradd --create-home --uid 10001 --user-group procsft \
    && mkdir -p /gcs /minio /s3 \
    && chown 10001:10001 /gcs /minio /s3

WORKDIR /opt/procsft
COPY images/base.constraints.txt pyproject.toml README.md ./
COPY src ./src
# torch from the CPU index: PyPI's default build brings the CUDA libraries (GBs).
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install --no-cache-dir --constraint base.constraints.txt \
        ".[infer,judges,kfp,track,validate]"

USER 10001:10001
WORKDIR /home/procsft
