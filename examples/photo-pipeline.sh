#!/usr/bin/env bash
# photo-pipeline.sh: for each photo that lands in INBOX, make a web-sized copy and a
# thumbnail with ImageMagick, then archive the original.
#
# Usage: photo-pipeline.sh INBOX OUTDIR
#   Environment: WEB_SIZE (default 1600x1600: fit inside, never enlarged),
#                THUMB_SIZE (default 256x256: filled and centre-cropped).
#
# For INBOX/NAME.jpg (also .jpeg .png .gif .webp .tif .tiff .heic, any case) it writes
# OUTDIR/web/NAME.jpg and OUTDIR/thumbs/NAME.jpg, then moves the original to
# OUTDIR/archive/ (a name already taken there gets a time suffix). A photo that
# ImageMagick cannot read is left in INBOX. Uses `magick` (ImageMagick 7) when
# present, else `convert`. Photos already in INBOX at start-up are left alone.
# "Watches established." on stderr means new photos are being caught. SIGINT/SIGTERM
# stop the script and its inotifywait.
#
# Pitfall avoided: the usual recipe reacts to CREATE, so `convert` reads a file that
# the camera, scp or the browser is still writing (a truncated or corrupt web copy).
# Here a photo is taken only when its writer closes it (CLOSE_WRITE) or when it is
# renamed into INBOX complete (MOVED_TO, the `.part` then rename of uploaders); the
# `.part` file itself is not a photo by its name. A second CLOSE_WRITE of a photo
# already archived is ignored (the file is gone).
set -euo pipefail

usage() {
    echo "usage: $0 INBOX OUTDIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
command -v inotifywait >/dev/null || { echo "$0: inotifywait not found on PATH" >&2; exit 127; }
if command -v magick >/dev/null; then
    im=(magick)
elif command -v convert >/dev/null; then
    im=(convert)
else
    echo "$0: ImageMagick (magick or convert) not found on PATH" >&2
    exit 127
fi
web_size=${WEB_SIZE:-1600x1600}
thumb_size=${THUMB_SIZE:-256x256}
inbox=$(cd -- "$1" && pwd)
mkdir -p -- "$2/web" "$2/thumbs" "$2/archive"
out=$(cd -- "$2" && pwd)

exec 3< <(exec inotifywait -m -e close_write,moved_to --format '%f%0' --no-newline -- "$inbox")
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

shopt -s nocasematch
process() {
    local name=$1 src=$inbox/$1 base=${1%.*} dest
    [ -f "$src" ] || return 0 # already handled (a second CLOSE_WRITE), or gone
    # [0]: the first frame of an animation; white behind transparent parts (JPEG).
    if ! "${im[@]}" "${src}[0]" -auto-orient -strip -resize "${web_size}>" \
        -background white -alpha remove -alpha off -quality 85 "$out/web/$base.jpg"; then
        echo "$0: cannot convert $name; left in $inbox" >&2
        return 0
    fi
    if ! "${im[@]}" "${src}[0]" -auto-orient -strip -thumbnail "${thumb_size}^" \
        -gravity center -extent "$thumb_size" -background white -alpha remove -alpha off \
        -quality 80 "$out/thumbs/$base.jpg"; then
        echo "$0: cannot make a thumbnail of $name; left in $inbox" >&2
        return 0
    fi
    dest=$out/archive/$name
    if [ -e "$dest" ]; then
        dest=$out/archive/$base-$(date +%Y%m%d%H%M%S%N).${name##*.}
    fi
    mv -- "$src" "$dest"
    echo "photo-pipeline: $name done" >&2
}

while IFS= read -r -d '' -u 3 name; do
    case $name in
        .*) ;; # hidden: editors' and uploaders' temporaries
        *.jpg | *.jpeg | *.png | *.gif | *.webp | *.tif | *.tiff | *.heic) process "$name" ;;
    esac
done
wait "$watcher"
