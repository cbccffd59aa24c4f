# The CUDA training image: LoRA / QLoRA SFT with torch, TRL, PEFT and bitsandbytes (and
# distillation with a model teacher). The NVIDIA driver comes from the node.
# Build from the repository root: docker build -f images/train.Dockerfile -t procsft-train .
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
COPY images/train.constraints.txt pyproject.toml README.md ./
COPY src ./src
# PyPI's torch wheel carries the CUDA runtime (nvidia-* wheels).
RUN pip install --no-cache-dir --constraint train.constraints.txt \
        torch==2.13.0 bitsandbytes==0.50.2 ".[train,kfp]"

USER 10001:10001
WORKDIR /home/procsft
