#!/usr/bin/env bash
# hot-reload.sh: run a command, and restart it once a burst of file changes under DIR
# has settled.
#
# Usage: hot-reload.sh DIR -- CMD [ARG...]
#   Environment: DEBOUNCE  seconds of quiet that end a burst (default 0.5)
#                EXCLUDE   extended regex of paths to ignore (inotifywait --exclude),
#                          e.g. '(^|/)(\.git|node_modules)/|\.sw[px]$|~$'
#
# CMD starts at once, in a process group of its own with stdin from /dev/null. When
# files under DIR are written, created, deleted or renamed, the script waits until no
# change has come for DEBOUNCE seconds, then stops CMD's whole group (if it still
# runs: a server) and starts CMD again; a CMD that ends by itself (a build, a test
# run) is simply run again. CMD should end on SIGTERM. "Watches established." on
# stderr means changes are being caught. SIGINT/SIGTERM stop CMD, inotifywait and the
# script.
#
# Pitfalls avoided:
# - No debounce: an editor or `git checkout` that writes 20 files means 20 restarts.
#   Here the burst is read out with `read -t DEBOUNCE` in the same loop that restarts,
#   so it ends in exactly one restart.
# - Killing only CMD's pid: `sh -c 'server & worker'` leaves the children running and
#   the port taken. Here CMD's whole process group is stopped.
set -euo pipefail
LC_NUMERIC=C # `read -t 0.5` and the like, whatever the locale

usage() {
    echo "usage: $0 DIR -- CMD [ARG...]" >&2
    exit 2
}
if [ $# -lt 3 ] || [ "$2" != -- ]; then usage; fi
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
dir=$1
shift 2
cmd=("$@")
quiet=${DEBOUNCE:-0.5}
exclude=()
[ -z "${EXCLUDE-}" ] || exclude=(--exclude "$EXCLUDE")

exec 3< <(exec inotifywait -m -r -e close_write,create,delete,moved_to,moved_from \
    "${exclude[@]}" --format '%e %w%f%0' --no-newline -- "$dir")
watcher=$!
child=
stop_cmd() {
    [ -n "$child" ] || return 0
    kill -TERM -- "-$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
    child=
}
start_cmd() {
    # With job control on, the background job gets a process group of its own.
    set -m
    "${cmd[@]}" </dev/null &
    child=$!
    set +m
}
trap 'stop_cmd; kill "$watcher" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

partial=
# next_event [TIMEOUT]: one event into $event; status 0, 1 at end of input, 2 on timeout.
next_event() {
    local chunk='' rc=0
    IFS= read -r -d '' ${1:+-t "$1"} -u 3 chunk || rc=$?
    if [ "$rc" -eq 0 ]; then
        event=$partial$chunk
        partial=
        return 0
    fi
    partial+=$chunk # a timeout may split a record: keep its start
    [ "$rc" -gt 128 ] && return 2
    return 1
}

start_cmd
while next_event; do
    n=1
    first=${event#* }
    while :; do # the burst: until DEBOUNCE seconds pass without an event
        status=0
        next_event "$quiet" || status=$?
        [ "$status" -eq 0 ] || break
        n=$((n + 1))
    done
    echo "hot-reload: $n change(s) (first: $first); restarting" >&2
    stop_cmd
    [ "$status" -eq 2 ] || break # inotifywait is gone
    start_cmd
done
wait "$watcher"
