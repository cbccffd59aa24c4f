# The vLLM image: student rollouts (pre and post, LoRA adapters served by vLLM). vLLM pins its
# own torch (2.14.0), so it gets an image of its own. The NVIDIA driver comes from the node.
# Build from the repository root: docker build -f images/rollout.Dockerfile -t procsft-rollout .
FROM python:3.11.14-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PROCSFT_CACHE=/mnt/runs/_cache/procsft \
    HF_HOME=/mnt/runs/_cache/huggingface \
    VLLM_CACHE_ROOT=/mnt/runs/_cache/vllm

# KFP's launcher stages artifacts under /gcs, /minio and /s3: a non-root step must own them
# (kubeflow/pipelines #5673).
RUN useradd --create-home --uid 10001 --user-group procsft \
    && mkdir -p /gcs /minio /s3 \
    && chown 10001:10001 /gcs /minio /s3

WORKDIR /opt/procsft
COPY images/rollout.constraints.txt pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --constraint rollout.constraints.txt vllm==0.33.0 ".[infer,kfp]"

USER 10001:10001
WORKDIR /home/procsft
