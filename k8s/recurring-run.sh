#!/bin/sh
# The scheduled rerun as a KFP recurring run: by default the scale study (8B and 14B, the
# paper's prediction) every Monday at 03:00. KFP cron has six fields, seconds first.
# Host and namespace: KFP_HOST and KFP_NAMESPACE (see pipelines/submit.py).
#   k8s/recurring-run.sh [CONFIG] [CRON] [extra `procsft_kfp.pipelines.submit schedule` arguments...]
set -eu
cd "$(dirname "$0")/.."
config="${1:-configs/scale-8b-14b.yaml}"
cron="${2:-0 0 3 * * 1}"
[ "$#" -gt 0 ] && shift
[ "$#" -gt 0 ] && shift
exec "${PYTHON:-.venv/bin/python}" -m procsft_kfp.pipelines.submit schedule --config "$config" --cron "$cron" "$@"
