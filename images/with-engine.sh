#!/usr/bin/env bash
# Run a command with a Docker engine: the one that answers (DOCKER_HOST or the default socket),
# else a dockerd started for the command and stopped after it, its data root and sockets in a
# temporary folder (Debian's docker.io; containers get the host network, never a bridge).
#
#   images/with-engine.sh COMMAND [ARG...]
#
# Only the daemon this script started is stopped; an engine that was already there is left
# alone. The command sees the engine through DOCKER_HOST (docker CLI, docker-py).
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: images/with-engine.sh COMMAND [ARG...]" >&2; exit 2; }

answers() { docker info >/dev/null 2>&1; }
if answers; then exec "$@"; fi
command -v dockerd >/dev/null || {
    echo "with-engine.sh: no Docker engine answers and dockerd is not installed (apt-get install docker.io)" >&2
    exit 7
}

# Short: the socket's path must fit a unix socket address (108 bytes).
root="$(mktemp -d /tmp/engine.XXXXXX)"
export DOCKER_HOST="unix://$root/docker.sock"
dockerd --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
    --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/docker.pid" \
    -H "$DOCKER_HOST" >"$root/dockerd.log" 2>&1 &
daemon=$!
stop() {
    local status=$?
    kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
    # overlay2 mounts end with the daemon; whatever is left (a busy mount) is not ours to force
    rm -rf "$root" 2>/dev/null || echo "with-engine.sh: left $root" >&2
    exit "$status"
}
trap stop EXIT INT TERM
for _ in $(seq 120); do
    answers && break
    kill -0 "$daemon" 2>/dev/null || { tail -5 "$root/dockerd.log" >&2; echo "with-engine.sh: dockerd exited" >&2; exit 7; }
    sleep 0.5
done
answers || { tail -5 "$root/dockerd.log" >&2; echo "with-engine.sh: dockerd did not answer in 60 s" >&2; exit 7; }
echo "with-engine.sh: started dockerd at $DOCKER_HOST (stopped when the command ends)" >&2
"$@"
