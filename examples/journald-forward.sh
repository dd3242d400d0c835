#!/usr/bin/env bash
# journald-forward.sh: log every change under DIR to syslog or the systemd journal, one
# log entry per event, each a JSON object.
#
# Usage: journald-forward.sh [--journald] [-t TAG] [-p LEVEL] [-u SOCKET] DIR
#                            [-- INOTIFYWAIT-OPTION...]
#   --journald  write to the journal with systemd-cat instead of the syslog socket
#   -t TAG      the syslog identifier (default rinotify)
#   -p LEVEL    emerg, alert, crit, err, warning, notice, info (default) or debug;
#               the syslog facility is user
#   -u SOCKET   the syslog socket to write to (default /dev/log; not with --journald)
#   INOTIFYWAIT-OPTIONs narrow the watch, e.g. -- -e close_write,moved_to,delete
#
# Watches DIR recursively with `inotifywait -m -r --json` and pipes it into `logger`
# (util-linux), which sends each line as one syslog message to /dev/log, where
# journald or rsyslog listens; with --journald, into `systemd-cat`, which makes each
# line one journal entry. Every line is one event as a JSON object, so reading the
# events back is one jq away:
#   journalctl -t rinotify -o cat | jq .                    # everything logged
#   journalctl -t rinotify -o cat -f | jq -r 'select(.events | index("CLOSE_WRITE")) | .path'
#   grep -h 'rinotify\[' /var/log/syslog | sed 's/^[^{]*//' | jq .   # rsyslog's file
# (-o cat prints the message alone, without the syslog header.) A name that is not
# valid UTF-8 comes with name_base64/path_base64 holding its exact bytes.
# "Watches established." on stderr means changes are being caught. SIGINT/SIGTERM stop
# the script and its inotifywait; what inotifywait printed by then is still logged.
#
# Pitfalls avoided: logger run as `inotifywait ... | logger` keeps two defaults that
# lose events. With nothing listening on /dev/log (a container, a host without a
# syslog daemon), it drops every message and exits 0: --socket-errors=on makes it
# fail, and this script with it. And it splits a line longer than 1 KiB into several
# messages, none of them valid JSON: --size raises the limit far above the longest
# line --json can print. journald itself limits the rate per service (by default
# 10,000 messages per 30 s, see RateLimitBurst= in journald.conf) and drops the rest
# with a "Suppressed N messages" entry: narrow a busy tree's watch with -e or
# --exclude, or raise the limit.
set -euo pipefail

usage() {
    echo "usage: $0 [--journald] [-t TAG] [-p LEVEL] [-u SOCKET] DIR [-- INOTIFYWAIT-OPTION...]" >&2
    exit 2
}
journald=false
tag=rinotify
level=info
socket=
while [ $# -gt 0 ]; do
    case $1 in
        --journald) journald=true; shift ;;
        -t | -p | -u)
            [ $# -ge 2 ] || usage
            case $1 in
                -t) tag=$2 ;;
                -p) level=$2 ;;
                -u) socket=$2 ;;
            esac
            shift 2
            ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
dir=$1
shift
if [ $# -gt 0 ]; then
    [ "$1" = -- ] || usage
    shift
fi
[ -d "$dir" ] || { echo "$0: $dir: not a directory" >&2; exit 2; }
[ -n "$tag" ] || usage
case $level in
    emerg | alert | crit | err | warning | notice | info | debug) ;;
    *) echo "$0: bad level: $level" >&2; exit 2 ;;
esac
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
if $journald; then
    [ -z "$socket" ] || { echo "$0: -u SOCKET is for syslog, not --journald" >&2; exit 2; }
    command -v systemd-cat >/dev/null || { echo "$0: systemd-cat not found on PATH" >&2; exit 127; }
    # Each line is one entry (lines longer than journald's LineMax=, 48 KiB by
    # default, are split); --level-prefix=false: a line is never read as "<N>message".
    forward=(systemd-cat --identifier="$tag" --priority="$level" --level-prefix=false)
else
    command -v logger >/dev/null || { echo "$0: logger not found on PATH (util-linux)" >&2; exit 127; }
    # --id=$$: the entries carry this script's pid. 128 KiB: above the longest line
    # --json prints (4 KiB paths, every byte escaped, plus base64).
    forward=(logger --tag "$tag" --id=$$ --priority "user.$level" --size 131072
        --skip-empty --socket-errors=on)
    [ -z "$socket" ] || forward+=(--socket "$socket")
fi

# inotifywait writes into a FIFO that the forwarder reads: two jobs of this shell, so
# `wait -n` returns when either one ends (a process substitution is not a job).
# The traps come first: a signal can never leave an orphaned inotifywait behind.
tmp=
watcher=
forwarder=
stop() {
    [ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
    # What inotifywait printed before it stopped is still in the FIFO: the forwarder
    # logs it and exits at end of input. Give it 5 s.
    local tenths=0
    while [ -n "$forwarder" ] && kill -0 "$forwarder" 2>/dev/null && [ "$tenths" -lt 50 ]; do
        sleep 0.1
        tenths=$((tenths + 1))
    done
    [ -z "$forwarder" ] || kill "$forwarder" 2>/dev/null || true
    watcher=
    forwarder=
    [ -z "$tmp" ] || rm -rf -- "$tmp"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tmp=$(mktemp -d)
mkfifo "$tmp/events"
# Its stderr is ours: "Watches established." reaches whoever started us.
inotifywait -m -r --json "$@" -- "$dir" >"$tmp/events" &
watcher=$!
"${forward[@]}" <"$tmp/events" &
forwarder=$!

status=0
wait -n || status=$?
if kill -0 "$watcher" 2>/dev/null; then
    # The forwarder gave up (no syslog socket, no journald...).
    echo "$0: ${forward[0]} ended (status $status): events are not being logged" >&2
    [ "$status" -ne 0 ] || status=1
fi
# Otherwise inotifywait ended by itself (DIR deleted, a bad option...): exit with its
# status, once the forwarder has logged what it printed.
stop
exit "$status"
