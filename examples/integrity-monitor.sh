#!/usr/bin/env bash
# integrity-monitor.sh: log the SHA-256 of every file created or modified under DIR,
# and every deletion, to LOG.
#
# Usage: integrity-monitor.sh DIR LOG
#
# Each log line is `TIME SHA256 PATH` for a new or changed file, `TIME DELETED PATH`
# for a file (or, with a trailing slash, a directory) deleted or moved away; in PATH a
# backslash reads `\\` and a newline `\n`, as in sha256sum's output. A file is
# hashed when its writer closes it (CLOSE_WRITE) or when it is moved in (MOVED_TO); a
# line is written only when its hash differs from the last one logged for that path.
# "Watches established." on stderr means changes are being caught. SIGINT/SIGTERM stop
# the script and its inotifywait.
#
# Pitfalls avoided:
# - A directory that appears with files already inside (`cp -r`, `mv`, `tar x`,
#   `mkdir -p a/b && echo x > a/b/f`) is walked and every file in it is hashed; the
#   naive `-e close_write` loop misses all of them (their CLOSE_WRITE happened before
#   the new directory had a watch). rinotify's -r also reports what a new directory
#   holds, as CREATE lines; the walk here covers inotify-tools' inotifywait too.
# - A directory is never given to sha256sum ("Is a directory" errors, a dead loop under
#   set -e): ISDIR events and non-regular files are never hashed.
# - A file is not hashed on CREATE, when it is still empty or half written.
# - LOG may live inside DIR: it is opened once and its own changes are skipped.
set -euo pipefail

usage() {
    echo "usage: $0 DIR LOG" >&2
    exit 2
}
[ $# -eq 2 ] || usage
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
dir=$(cd -- "$1" && pwd)
exec 4>>"$2"
log=$(cd -- "$(dirname -- "$2")" && pwd)/$(basename -- "$2")

exec 3< <(exec inotifywait -m -r -e close_write,moved_to,moved_from,delete,create \
    --format '%e %w%f%0' --no-newline -- "$dir")
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

declare -A last=() # path -> last hash logged

record() { # record HASH-OR-DELETED PATH (backslash and newline escaped as sha256sum does)
    local p=${2//\\/\\\\}
    p=${p//$'\n'/\\n}
    printf '%(%Y-%m-%dT%H:%M:%S%z)T %s %s\n' -1 "$1" "$p" >&4
}

hash_file() {
    local f=$1 sum
    [ "$f" != "$log" ] || return 0
    # Regular files only (not a directory, a symlink, a fifo that would block us).
    [ -f "$f" ] && [ ! -L "$f" ] || return 0
    sum=$(sha256sum -- "$f" 2>/dev/null) || return 0 # vanished meanwhile
    sum=${sum%% *}
    sum=${sum#\\} # sha256sum marks escaped names with a leading backslash
    if [ "${last[$f]-}" != "$sum" ]; then
        last[$f]=$sum
        record "$sum" "$f"
    fi
}

hash_tree() {
    local f
    while IFS= read -r -d '' f; do
        hash_file "$f"
    done < <(find "$1" -type f -print0 2>/dev/null)
}

forget() { # forget PATH [tree]
    local k
    unset 'last[$1]'
    if [ "${2-}" = tree ]; then
        for k in "${!last[@]}"; do
            [[ $k == "$1"/* ]] && unset 'last[$k]'
        done
    fi
    return 0
}

while IFS= read -r -d '' -u 3 record; do
    events=${record%% *}
    path=${record#* }
    case ",$events," in
        *,ISDIR,*)
            case ",$events," in
                *,CREATE,* | *,MOVED_TO,*) hash_tree "$path" ;;
                *,DELETE,* | *,MOVED_FROM,*)
                    forget "$path" tree
                    record DELETED "$path/"
                    ;;
            esac
            ;;
        *,CLOSE_WRITE,* | *,MOVED_TO,*) hash_file "$path" ;;
        *,CREATE,*)
            # Only a hard link is complete on CREATE (a new file is still being
            # written; its CLOSE_WRITE follows).
            if [ -f "$path" ] && [ ! -L "$path" ] && [ "$(stat -c %h -- "$path" 2>/dev/null || echo 1)" -gt 1 ]; then
                hash_file "$path"
            fi
            ;;
        *,DELETE,* | *,MOVED_FROM,*)
            [ "$path" != "$log" ] || continue
            forget "$path"
            record DELETED "$path"
            ;;
    esac
done
wait "$watcher"
