#!/usr/bin/env bash
# Build one procsft image with BuildKit, the site's pip settings passed as build secrets and
# its extra wheels as a bind mount (images/wheels/), so that none of them lands in a layer.
#
#   images/build.sh KIND IMAGE        KIND: base | train | rollout
#
# Environment (all optional; `make images` fills them from this machine's pip config):
#   BASE_IMAGE           the FROM image (default: the Dockerfile's pinned Python slim image)
#   TORCH_INDEX_URL      where the CPU image finds torch's CPU build (default: PyTorch's index,
#                        none when WHEELS holds a CPU torch)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL   package indexes, credentials included
#   CA_BUNDLE            a CA bundle pip trusts (a TLS-inspecting proxy's)
#   WHEELS               a folder of extra wheels (find-links)
#   DOCKER               the docker client (default: the first on PATH that builds with BuildKit)
set -euo pipefail

kind="${1:?usage: images/build.sh base|train|rollout IMAGE}"
image="${2:?usage: images/build.sh base|train|rollout IMAGE}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$repo/images/$kind.Dockerfile"
[[ -f "$dockerfile" ]] || { echo "images/build.sh: no image kind '$kind' ($dockerfile)" >&2; exit 2; }

# A client builds with BuildKit through its buildx plugin, or (before Docker 23) by itself.
builds_with_buildkit() {
    "$1" buildx version >/dev/null 2>&1 && return 0
    local major
    major="$("$1" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
    [[ "$major" =~ ^[0-9]+$ ]] && ((major < 23))
}
if [[ -z "${DOCKER:-}" ]]; then
    for candidate in $(type -ap docker); do
        if builds_with_buildkit "$candidate"; then DOCKER="$candidate"; break; fi
    done
fi
[[ -n "${DOCKER:-}" ]] || {
    echo "images/build.sh: no docker client on PATH builds with BuildKit (install buildx, or set DOCKER)" >&2
    exit 1
}
if "$DOCKER" buildx version >/dev/null 2>&1; then
    build=("$DOCKER" buildx build --load)
else
    build=(env DOCKER_BUILDKIT=1 "$DOCKER" build)
fi

secrets="$(mktemp -d)"
cleanup() { rm -rf "$secrets"; find "$repo/images/wheels" -mindepth 1 ! -name README.md -delete; }
trap cleanup EXIT

# pip.conf as a secret: indexes may carry credentials.
{
    echo "[global]"
    [[ -n "${PIP_INDEX_URL:-}" ]] && echo "index-url = $PIP_INDEX_URL"
    [[ -n "${PIP_EXTRA_INDEX_URL:-}" ]] && echo "extra-index-url = $PIP_EXTRA_INDEX_URL"
    [[ -n "${CA_BUNDLE:-}" ]] && echo "cert = /run/secrets/ca.pem"
    [[ -n "${WHEELS:-}" ]] && echo "find-links = /opt/wheels"
    true
} > "$secrets/pip.conf"
args=(--secret "id=pip.conf,src=$secrets/pip.conf")
if [[ -n "${CA_BUNDLE:-}" ]]; then args+=(--secret "id=ca.pem,src=$CA_BUNDLE"); fi
if [[ -n "${WHEELS:-}" ]]; then
    # Hard links where the folders share a file system: no copy of multi-GB wheels.
    for wheel in "$WHEELS"/*.whl; do
        [[ -e "$wheel" ]] || continue
        ln -f "$wheel" "$repo/images/wheels/" 2>/dev/null || cp "$wheel" "$repo/images/wheels/"
    done
fi
if [[ -n "${BASE_IMAGE:-}" ]]; then args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE"); fi
# A CPU torch among the site's wheels: no PyTorch index to ask (it may not answer).
if [[ -z "${TORCH_INDEX_URL+set}" && -n "$(compgen -G "${WHEELS:-/nonexistent}/torch-*+cpu-*.whl")" ]]; then
    TORCH_INDEX_URL=""
fi
if [[ -n "${TORCH_INDEX_URL+set}" ]]; then args+=(--build-arg "TORCH_INDEX_URL=$TORCH_INDEX_URL"); fi

start=$SECONDS
# The build's RUN steps use the host network: no bridge, no address but the host's.
"${build[@]}" --network host --progress plain "${args[@]}" -f "$dockerfile" -t "$image" "$repo"
size="$("$DOCKER" image inspect --format '{{.Size}}' "$image" | numfmt --to=iec)"
echo "built $image ($kind): $size in $((SECONDS - start)) s"
