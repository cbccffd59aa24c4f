#!/usr/bin/env bash
# Build a Debian bookworm base image with Python 3.11 from a Debian mirror, for sites (and
# machines) where no container registry answers: `make images BASE_IMAGE=procsft-debian:bookworm`
# then builds every procsft image on it.
#
#   images/debian-base.sh [IMAGE]      (default IMAGE: procsft-debian:bookworm)
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DOCKER (the client).
# Needs mmdebstrap (Debian package); runs as root or under fakechroot as mmdebstrap allows.
set -euo pipefail

image="${1:-procsft-debian:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
docker="${DOCKER:-docker}"

command -v mmdebstrap >/dev/null || {
    echo "debian-base.sh: mmdebstrap not found (apt-get install mmdebstrap)" >&2
    exit 1
}
rootfs="$(mktemp --suffix=.tar)"
trap 'rm -f "$rootfs"' EXIT

# minbase: dpkg, apt and what they need; python3-venv gives the images their own environment
# (Debian's Python refuses system-wide pip installs, PEP 668). Package lists are dropped.
mmdebstrap --quiet --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    --aptopt='Acquire::Languages "none"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$rootfs" "$mirror"

# An imported root file system has no config: give it Python's and the slim images' defaults.
"$docker" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    "$rootfs" "$image" >/dev/null
echo "built $image from $mirror ($("$docker" image inspect --format "{{.Size}}" "$image" | numfmt --to=iec))"
