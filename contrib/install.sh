#!/bin/sh
# Installs rinotify's man pages and shell completions where man and the shells find
# them (the programs themselves come from `cargo install --path . --locked`), or
# removes them again.
#
#   contrib/install.sh                 as root: under /usr/local; otherwise: for this user
#   contrib/install.sh --user          for this user (next to ~/.cargo/bin)
#   contrib/install.sh --prefix DIR    under DIR (DIR/share/man, DIR/share/bash-completion, ...)
#   contrib/install.sh --uninstall     removes what the same call installed
#
# man(1) finds pages through PATH: for ~/.cargo/bin it looks in ~/.cargo/share/man, so
# the user install puts the pages there, and `man inotifywait` then shows ours.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
mode=auto
prefix=
uninstall=0
while [ $# -gt 0 ]; do
    case $1 in
        --user) mode=user ;;
        --prefix) shift; [ $# -gt 0 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; mode=prefix; prefix=$1 ;;
        --prefix=*) mode=prefix; prefix=${1#--prefix=} ;;
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$mode" = auto ]; then
    if [ "$(id -u)" = 0 ]; then mode=prefix; prefix=/usr/local; else mode=user; fi
fi

data=${XDG_DATA_HOME:-$HOME/.local/share}
if [ "$mode" = user ]; then
    man1=${CARGO_HOME:-$HOME/.cargo}/share/man/man1
    bash_dir=${BASH_COMPLETION_USER_DIR:-$data/bash-completion}/completions
    zsh_dir=$data/zsh/site-functions
    fish_dir=${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions
else
    man1=$prefix/share/man/man1
    bash_dir=$prefix/share/bash-completion/completions
    zsh_dir=$prefix/share/zsh/site-functions
    fish_dir=$prefix/share/fish/vendor_completions.d
fi

names="rinotify inotifywait inotifywatch fsnotifywait fsnotifywatch"
# One line per file: source, destination.
plan() {
    for n in $names; do
        echo "man/$n.1 $man1/$n.1"
        echo "completions/bash/$n $bash_dir/$n"
        echo "completions/zsh/_$n $zsh_dir/_$n"
        echo "completions/fish/$n.fish $fish_dir/$n.fish"
    done
}

plan | while read -r src dst; do
    if [ "$uninstall" = 1 ]; then
        if [ -e "$dst" ]; then rm -f "$dst" && echo "removed $dst"; fi
    else
        mkdir -p "$(dirname "$dst")"
        cp "$here/$src" "$dst"
        chmod 644 "$dst"
        echo "installed $dst"
    fi
done

if [ "$uninstall" = 0 ] && [ "$mode" = user ]; then
    echo "zsh: add 'fpath=($zsh_dir \$fpath)' before 'compinit' in ~/.zshrc"
fi
