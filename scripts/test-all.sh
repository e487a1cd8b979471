#!/usr/bin/env bash
# Runs every test: the whole workspace once per backend (epoll, poll, select),
# as libevent's test.sh does. Builds once; the later runs reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# The C tests load the shared library and link the static archive that
# `cargo build` makes (`cargo test` alone does not produce them).
cargo build --workspace --quiet
run() {
    echo "=== cargo test --workspace ($1) ==="
    shift
    env "$@" cargo test --workspace --quiet
}
run "default backend (epoll)" OXEVENT_TEST_BACKEND=default
run "EVENT_NOEPOLL=1 (poll)" EVENT_NOEPOLL=1
run "EVENT_NOEPOLL=1 EVENT_NOPOLL=1 (select)" EVENT_NOEPOLL=1 EVENT_NOPOLL=1
echo "=== differential C suite under valgrind (ours, default backend) ==="
OXEVENT_DIFF_VALGRIND=1 OXEVENT_DIFF_LIBS=ours \
    cargo test -p oxevent-ffi --test differential --quiet c_programs
