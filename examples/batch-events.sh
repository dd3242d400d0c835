#!/usr/bin/env bash
# batch-events.sh: group the changes under DIR into batches and handle each batch once.
#
# Usage: batch-events.sh DIR SECONDS [-- CMD [ARG...]]
#   SECONDS: quiet time (decimals allowed) that closes a batch.
#   Environment: MAX_BATCH_SECONDS  close a batch after this long even if changes
#                                   keep coming (default 10 x SECONDS)
#
# A batch is every file created, written, moved in or out, or deleted until SECONDS
# pass without a change (or MAX_BATCH_SECONDS after the batch began). Each file is
# listed once per batch, relative to DIR, in the order first seen; a directory moved
# in, moved out or deleted is listed with a trailing slash, the files of a new
# directory one by one (rinotify's -r reports what a new directory already holds,
# even files written before its watch existed). Without
# CMD, one line per batch is printed on stdout:
#   batch 1 (3 files): a.txt b.txt sub/with\ space.txt
# (names quoted with printf %q, so any name fits on the line); with CMD, it is run
# once per batch with the names as arguments. "Watches established." on stderr means
# changes are being caught. SIGINT/SIGTERM stop the script and its inotifywait.
#
# Pitfall avoided: the usual recipe collects names in a `while read` loop on the right
# of a pipe and flushes from a timer in a background subshell (`sleep 5 && flush &`).
# Each side has its own copy of the batch array: the timer sees an empty batch, or
# the loop never hears the timer. Here the batch and the timer live in one loop in one
# process: `read -t` waits for the next event and its timeout is the flush.
set -euo pipefail
LC_NUMERIC=C # `read -t 0.5` and $EPOCHREALTIME with a dot, whatever the locale

usage() {
    echo "usage: $0 DIR SECONDS [-- CMD [ARG...]]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
to_us() { # to_us SECONDS: sets $us, or fails on a malformed number
    [[ $1 =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]] || return 1
    local frac=${BASH_REMATCH[3]}000000
    us=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${frac:0:6}))
}
if ! to_us "$2" || [ "$us" -eq 0 ]; then
    echo "$0: bad SECONDS: $2" >&2
    exit 2
fi
quiet_us=$us
to_us "${MAX_BATCH_SECONDS:-0}" || { echo "$0: bad MAX_BATCH_SECONDS" >&2; exit 2; }
max_us=$us
[ "$max_us" -gt 0 ] || max_us=$((quiet_us * 10))
cmd=()
if [ $# -gt 2 ]; then
    if [ "$3" != -- ] || [ $# -lt 4 ]; then usage; fi
    cmd=("${@:4}")
fi
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
dir=$(cd -- "$1" && pwd)

exec 3< <(exec inotifywait -m -r -e create,close_write,moved_to,moved_from,delete \
    --format '%e %w%f%0' --no-newline -- "$dir")
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

batches=0
batch=()          # names, in the order first seen
declare -A seen=() # name -> 1, for the current batch
flush() {
    [ ${#batch[@]} -gt 0 ] || return 0
    batches=$((batches + 1))
    if [ ${#cmd[@]} -gt 0 ]; then
        "${cmd[@]}" "${batch[@]}" || echo "$0: ${cmd[0]} failed (status $?)" >&2
    else
        local line
        printf -v line ' %q' "${batch[@]}"
        printf 'batch %d (%d files):%s\n' "$batches" ${#batch[@]} "$line"
    fi
    batch=()
    seen=()
}

while :; do
    status=0
    if [ ${#batch[@]} -eq 0 ]; then
        next_event || status=$?
    else
        # Wait for the quiet time, but not past the batch's deadline.
        now_us
        left=$((deadline - now))
        [ "$left" -le "$quiet_us" ] || left=$quiet_us
        if [ "$left" -le 0 ]; then
            flush
            continue
        fi
        printf -v timeout '%d.%06d' $((left / 1000000)) $((left % 1000000))
        next_event "$timeout" || status=$?
    fi
    case $status in
        0)
            if [ ${#batch[@]} -eq 0 ]; then
                now_us
                deadline=$((now + max_us))
            fi
            events=${event%% *}
            name=${event#* }
            name=${name#"$dir"/}
            case ",$events," in
                *,CREATE,ISDIR,*) continue ;; # its files come one by one
                *,ISDIR,*) name+=/ ;;
            esac
            if [ -z "${seen[$name]-}" ]; then
                seen[$name]=1
                batch+=("$name")
            fi
            ;;
        2) flush ;;
        *)
            flush
            break
            ;;
    esac
done
wait "$watcher"
