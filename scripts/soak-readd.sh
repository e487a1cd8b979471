#!/usr/bin/env bash
# Soak test for issue 8 item 1: two non-persistent zero-timeout timers that
# re-add each other (crates/oxevent-ffi/tests/c/readd_growth.c), run for
# FIRES callbacks against one library, printing VmRSS samples; fails if RSS
# grew by 1 MB or more between 50 k fires and the end.
#
#   scripts/soak-readd.sh [ours|debian] [FIRES] [release|debug]
#
# Defaults: ours, 8000000 fires, release (the cdylib is built with cargo
# into this checkout's target dir). Backend as usual: EVENT_NOEPOLL=1,
# EVENT_NOPOLL=1 in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:-ours}
fires=${2:-8000000}
profile=${3:-release}
crate=crates/oxevent-ffi
work=$(mktemp -d "${TMPDIR:-/tmp}/soak-readd.XXXXXX")
trap 'rm -rf "$work"' EXIT

case "$lib" in
ours)
    if [ "$profile" = release ]; then
        cargo build -p oxevent-ffi --release --quiet
    else
        cargo build -p oxevent-ffi --quiet
    fi
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    cdylib="$target_dir/$profile/liboxevent_ffi.so"
    libdir="$work/prefix"
    mkdir -p "$libdir"
    for n in libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_pthreads-2.1.so.7 \
        libevent.so libevent_core.so libevent_pthreads.so; do
        ln -s "$cdylib" "$libdir/$n"
    done
    ;;
debian)
    libdir=/usr/lib/x86_64-linux-gnu
    ;;
*)
    echo "usage: $0 [ours|debian] [FIRES] [release|debug]" >&2
    exit 2
    ;;
esac

gcc -std=gnu99 -O1 -g -Wall -Wextra -Werror -I "$crate/include" -I "$crate/tests/c" \
    "$crate/tests/c/readd_growth.c" -L "$libdir" -levent -o "$work/readd_growth"
echo "library: $lib ($libdir), fires: $fires, backend env: ${EVENT_NOEPOLL:+EVENT_NOEPOLL=1 }${EVENT_NOPOLL:+EVENT_NOPOLL=1}"
start=$(date +%s.%N)
status=0
LD_LIBRARY_PATH="$libdir" "$work/readd_growth" "$fires" || status=$?
end=$(date +%s.%N)
echo "elapsed: $(echo "$end - $start" | bc) s, exit status $status"
exit "$status"
