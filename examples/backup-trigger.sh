#!/usr/bin/env bash
# backup-trigger.sh: run a backup command when something under DIR changes, at most
# once every MIN_INTERVAL seconds, never losing the last change.
#
# Usage: backup-trigger.sh DIR MIN_INTERVAL -- CMD [ARG...]
#   MIN_INTERVAL: seconds (decimals allowed) between the starts of two runs of CMD.
#   Environment: EXCLUDE  extended regex of paths to ignore (inotifywait --exclude);
#                          put the backup's own output outside DIR or exclude it.
#
# The first change runs CMD at once. Changes that come while CMD runs, or less than
# MIN_INTERVAL after it started, are collected; when the interval is over, CMD runs
# exactly once more for all of them. CMD runs in the foreground (never two at once);
# a failing CMD is reported and the watch goes on. "Watches established." on stderr
# means changes are being caught. SIGINT/SIGTERM stop the script and its inotifywait.
#
# Pitfall avoided: the usual throttle (`[ $((now - last)) -ge 60 ] && backup`) drops
# the changes made during the interval: the last edits of a burst are never backed up
# until something else changes. A trailing run is scheduled instead, with the timer
# kept in the same loop as the "dirty" flag (`read -t` with the time left), not in a
# background subshell that cannot see or reset it.
set -euo pipefail
LC_NUMERIC=C # `read -t 0.5` and $EPOCHREALTIME with a dot, whatever the locale

usage() {
    echo "usage: $0 DIR MIN_INTERVAL -- CMD [ARG...]" >&2
    exit 2
}
if [ $# -lt 4 ] || [ "$3" != -- ]; then usage; fi
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
[[ $2 =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]] || { echo "$0: bad MIN_INTERVAL: $2" >&2; exit 2; }
frac=${BASH_REMATCH[3]}000000
interval_us=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${frac:0:6}))
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
dir=$1
shift 3
cmd=("$@")
exclude=()
[ -z "${EXCLUDE-}" ] || exclude=(--exclude "$EXCLUDE")

exec 3< <(exec inotifywait -m -r -e close_write,create,delete,moved_to,moved_from,attrib \
    "${exclude[@]}" --format '%e %w%f%0' --no-newline -- "$dir")
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

now_us() { # sets $now (microseconds since the epoch), without a fork
    local t=${EPOCHREALTIME/[.,]/}
    now=$((10#$t))
}

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

dirty=0
next_ok=0 # earliest start of the next run
while :; do
    now_us
    if [ "$dirty" -eq 1 ] && [ "$now" -ge "$next_ok" ]; then
        dirty=0
        next_ok=$((now + interval_us))
        echo "backup-trigger: $changes change(s) (first: $first); running ${cmd[0]}" >&2
        "${cmd[@]}" || echo "backup-trigger: ${cmd[0]} failed (status $?)" >&2
        continue # what changed during the run is read next, and waits its turn
    fi
    status=0
    if [ "$dirty" -eq 1 ]; then
        left=$((next_ok - now))
        printf -v timeout '%d.%06d' $((left / 1000000)) $((left % 1000000))
        next_event "$timeout" || status=$?
    else
        # Idle: wake up each second anyway. A SIGTERM that lands just before `read`
        # blocks would otherwise wait for the next event; bash runs it on the wake-up.
        next_event 1 || status=$?
    fi
    case $status in
        0)
            if [ "$dirty" -eq 0 ]; then
                dirty=1 changes=0 first=${event#* }
            fi
            changes=$((changes + 1))
            ;;
        2) ;; # the interval is over: the top of the loop runs CMD
        *) break ;; # inotifywait is gone
    esac
done
wait "$watcher"
