#!/usr/bin/env bash
# mqtt-publish.sh: publish every change under DIR to an MQTT broker, one message per
# event, each a JSON object.
#
# Usage: mqtt-publish.sh [-h HOST] [-p PORT] [-t TOPIC] DIR [-- INOTIFYWAIT-OPTION...]
#   Environment (the options win): MQTT_HOST  broker host (default 127.0.0.1)
#                                  MQTT_PORT  broker port (default 1883)
#                                  MQTT_TOPIC topic (default rinotify/HOSTNAME/events,
#                                             HOSTNAME being this machine's, uname -n)
#   INOTIFYWAIT-OPTIONs narrow the watch, e.g. -- -e close_write,moved_to,delete
#   or -- --exclude '\.swp$'.
#
# Watches DIR recursively with `inotifywait -m -r --json` and pipes it into
# `mosquitto_pub -l -q 1`. Each line inotifywait prints is one event as a JSON object
# ({"time":…,"watch":…,"name":…,"path":…,"events":[…],…}), and each line is sent as
# the payload of one MQTT message on TOPIC, so a collector anywhere runs
#   mosquitto_sub -h BROKER -q 1 -t 'rinotify/+/events' | jq .
# and gets one JSON object per message from every machine. Credentials and TLS:
# mosquitto_pub reads default options from ~/.config/mosquitto_pub (one "-option value"
# per line: -u, -P, --cafile, ...), which keeps a password off the command line.
# "Watches established." on stderr means changes are being caught (events that happen
# before mosquitto_pub is connected wait in the pipe). SIGINT/SIGTERM stop the script
# and its inotifywait; what inotifywait printed by then is still published.
#
# Why -l: without it mosquitto_pub sends one message per invocation (-m) or all of
# stdin as a single message at end of file (-s), which a watch that runs forever never
# reaches. With -l each line is published as soon as it is read, over one connection
# kept open, and --json guarantees that a line is exactly one event: a newline in a
# file name is escaped (\n), never printed raw, so it cannot split a message.
# Why QoS 1: "at least once" between this machine and the broker. mosquitto_pub keeps
# every message until the broker acknowledges it and sends it again after a reconnect;
# with QoS 0, what is in flight when the broker restarts is gone. A message sent again
# can arrive twice, so a collector must take a repeated event in its stride (no field
# tells two identical events apart: events read together share their time). QoS is
# per hop, so collectors subscribe with -q 1 too, and a broker queues at most
# max_queued_messages (default 1000) for a subscriber that lags before it drops
# messages: raise it for bursts.
#
# Pitfall avoided: the usual recipe is `inotifywait -m --format '%w%f %e' DIR | while
# read -r f e; do mosquitto_pub -t T -m "$f $e"; done`: a new connection per event
# (a burst is published far slower than it happens), text that a name with a space or
# a newline makes ambiguous, and QoS 0, so every event in flight when the broker
# restarts is gone. Here: one connection, one exact JSON event per message, QoS 1.
set -euo pipefail

usage() {
    echo "usage: $0 [-h HOST] [-p PORT] [-t TOPIC] DIR [-- INOTIFYWAIT-OPTION...]" >&2
    exit 2
}
host=${MQTT_HOST:-127.0.0.1}
port=${MQTT_PORT:-1883}
topic=${MQTT_TOPIC:-rinotify/$(uname -n)/events}
while getopts h:p:t: opt; do
    case $opt in
        h) host=$OPTARG ;;
        p) port=$OPTARG ;;
        t) topic=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
dir=$1
shift
if [ $# -gt 0 ]; then
    [ "$1" = -- ] || usage
    shift
fi
[ -d "$dir" ] || { echo "$0: $dir: not a directory" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] || { echo "$0: bad port: $port" >&2; exit 2; }
case $topic in
    '' | *[+#]*) echo "$0: bad topic '$topic' (a topic to publish to has no + or #)" >&2; exit 2 ;;
esac
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
command -v mosquitto_pub >/dev/null || { echo "$0: mosquitto_pub not found on PATH (Debian: apt-get install mosquitto-clients)" >&2; exit 127; }

# inotifywait writes into a FIFO that mosquitto_pub reads: two jobs of this shell, so
# `wait -n` returns when either one ends (a process substitution is not a job).
# The traps come first: a signal can never leave an orphaned inotifywait behind.
tmp=
watcher=
publisher=
stop() {
    [ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
    # What inotifywait printed before it stopped is still in the FIFO: mosquitto_pub
    # publishes it and exits at end of input. Give it 5 s (the broker may be gone, and
    # some mosquitto_pub versions never see the end of input after a reconnect).
    local tenths=0
    while [ -n "$publisher" ] && kill -0 "$publisher" 2>/dev/null && [ "$tenths" -lt 50 ]; do
        sleep 0.1
        tenths=$((tenths + 1))
    done
    [ -z "$publisher" ] || kill "$publisher" 2>/dev/null || true
    watcher=
    publisher=
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
mosquitto_pub -h "$host" -p "$port" -t "$topic" -q 1 -l <"$tmp/events" &
publisher=$!

status=0
wait -n || status=$?
if kill -0 "$watcher" 2>/dev/null; then
    # mosquitto_pub gave up (broker unreachable, refused, bad topic...).
    echo "$0: mosquitto_pub ended (status $status): events are not being published" >&2
    [ "$status" -ne 0 ] || status=1
fi
# Otherwise inotifywait ended by itself (DIR deleted, a bad option...): exit with its
# status, once mosquitto_pub has published what it printed.
stop
exit "$status"
