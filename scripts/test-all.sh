#!/usr/bin/env bash
# Runs every test: the whole workspace once per backend (epoll, poll, select),
# as libevent's test.sh does. Builds once; the later runs reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# The C tests load the shared library and link the static archive that
# `cargo build` makes (`cargo test` alone does not produce them).
cargo build --workspace --quiet
# Tests that run every backend themselves (the differential C suite, the
# API fuzzer's short run, the threaded stress test) run in the first pass
# only; the later passes skip them by name.
every_backend=(
    --skip c_programs_pass_on_ours_and_debian_with_every_backend
    --skip apifuzz_short_run_on_ours_every_backend_and_on_debian
    --skip thread_stress_no_callback_after_delete_returned
)
run() {
    local what=$1 skip=$2
    echo "=== cargo test --workspace ($what) ==="
    shift 2
    if [ "$skip" = skip ]; then
        env "$@" cargo test --workspace --quiet -- "${every_backend[@]}"
    else
        env "$@" cargo test --workspace --quiet
    fi
}
run "default backend (epoll)" all OXEVENT_TEST_BACKEND=default
run "EVENT_NOEPOLL=1 (poll)" skip EVENT_NOEPOLL=1
run "EVENT_NOEPOLL=1 EVENT_NOPOLL=1 (select)" skip EVENT_NOEPOLL=1 EVENT_NOPOLL=1
echo "=== differential C suite under valgrind (ours, default backend) ==="
OXEVENT_DIFF_VALGRIND=1 OXEVENT_DIFF_LIBS=ours \
    cargo test -p oxevent-ffi --test differential --quiet c_programs
