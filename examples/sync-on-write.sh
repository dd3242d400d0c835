#!/usr/bin/env bash
# sync-on-write.sh: keep DEST a mirror of SRC with rsync, one rsync per finished file.
#
# Usage: sync-on-write.sh SRC DEST
#
# Watches SRC recursively with `inotifywait -m -r`; each file is copied to the same
# relative path under DEST when its writer closes it (CLOSE_WRITE) or when it is moved
# in whole (MOVED_TO). A new directory (CREATE,ISDIR) or one moved in is copied with
# everything it already holds; deletions and files moved away are removed from DEST.
# DEST is not filled at start-up: run `rsync -a --delete SRC/ DEST/` once first if it is
# not a copy already. "Watches established." on stderr means changes are being caught.
# SIGINT/SIGTERM stop the script and its inotifywait.
#
# Pitfall avoided: the usual recipe reacts to `-e create,modify,close_write` (or to
# every event) and runs rsync for each line, so every new file is synced two or more
# times, the first time while it is still empty or half written. Here a file is synced
# only once it is complete: one rsync per written file. Names are read NUL-terminated
# (`%0`), so spaces, leading dashes and even newlines in names are safe.
set -euo pipefail

usage() {
    echo "usage: $0 SRC DEST" >&2
    exit 2
}
[ $# -eq 2 ] || usage
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
command -v rsync >/dev/null || { echo "$0: rsync not found on PATH" >&2; exit 127; }
src=$(realpath -- "$1")
dest=$(realpath -m -- "$2")
case $dest/ in
    "$src"/*) echo "$0: DEST must not be inside SRC (each copy would be synced again)" >&2; exit 2 ;;
esac
mkdir -p -- "$dest"

# The watcher runs as a process substitution on fd 3; its stderr is ours, so
# "Watches established." reaches whoever started us.
exec 3< <(exec inotifywait -m -r -e close_write,moved_to,moved_from,delete,create \
    --format '%e %w%f%0' --no-newline -- "$src")
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# rsync SRC/./REL to DEST/ (-R recreates the REL path under DEST, parents included).
sync_path() {
    [ -e "$src/$1" ] || return 0 # gone again (a temporary file renamed away)
    rsync -a -R -- "$src/./$1" "$dest/" || echo "$0: rsync of $1 failed" >&2
}

while IFS= read -r -d '' -u 3 record; do
    events=${record%% *}
    path=${record#* }
    rel=${path#"$src"/}
    if [ -z "$rel" ] || [ "$rel" = "$path" ]; then continue; fi
    case ",$events," in
        *,ISDIR,*)
            case ",$events," in
                # A new directory may already hold files written before its watch
                # existed: copy the whole tree (what arrives later is caught as usual).
                *,CREATE,* | *,MOVED_TO,*) sync_path "$rel" ;;
                *,DELETE,* | *,MOVED_FROM,*) rm -rf -- "${dest:?}/$rel" ;;
            esac
            ;;
        *,CLOSE_WRITE,* | *,MOVED_TO,*) sync_path "$rel" ;;
        *,DELETE,* | *,MOVED_FROM,*) rm -f -- "${dest:?}/$rel" ;;
        # CREATE of a file: ignored on purpose, its CLOSE_WRITE follows.
    esac
done
# inotifywait ended by itself (SRC deleted, watch limit...): report its status.
wait "$watcher"
