#!/usr/bin/env bash
# Builds fuzz/api/apifuzz.c against our headers and runs it.
#
#   fuzz/api/run.sh SEEDS OPS [valgrind|asan|plain] [ours|debian] [apifuzz flags...]
#
#   SEEDS     number of seeds, starting at FIRST_SEED (env, default 1)
#   OPS       operations per seed
#   checker   valgrind (memcheck, errors fail the run), asan (the harness
#             built with -fsanitize=address,undefined; the library is not
#             instrumented, but its malloc/free go through ASan), or plain
#   library   ours (target/debug/liboxevent_ffi.so, built first; PROFILE=release
#             for target/release) or debian (the system's libevent 2.1.12)
#   flags     passed to apifuzz: -m misuse, -d, -K (see apifuzz.c). Misuse and
#             -K are for ours: on Debian's library they are undefined behaviour.
#
# Environment: FIRST_SEED (1), BATCH (seeds per process, 50), JOBS (1),
# SEED_TIMEOUT (s per seed before apifuzz reports a hang; 60, 300 under
# valgrind), EVENT_NOEPOLL / EVENT_NOPOLL as usual for the backend.
#
# Each batch runs in one process; after a failure the run goes on from the
# next seed, and every failure is kept in $OUT (default a temp dir) with
# its log. Prints a summary; exits 1 if any seed failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:?usage: fuzz/api/run.sh SEEDS OPS [valgrind|asan|plain] [ours|debian] [flags]}
ops=${2:?usage: fuzz/api/run.sh SEEDS OPS [valgrind|asan|plain] [ours|debian] [flags]}
checker=${3:-plain}
lib=${4:-ours}
shift $(($# < 4 ? $# : 4))
flags=("$@")
first=${FIRST_SEED:-1}
batch=${BATCH:-50}
jobs=${JOBS:-1}
profile=${PROFILE:-debug}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/apifuzz.XXXXXX")}
mkdir -p "$out"
crate=crates/oxevent-ffi

case "$checker" in
valgrind) timeout_s=${SEED_TIMEOUT:-300} ;;
asan | plain) timeout_s=${SEED_TIMEOUT:-60} ;;
*)
    echo "checker: valgrind, asan or plain" >&2
    exit 2
    ;;
esac

cflags=(-std=gnu99 -O1 -g -Wall -Wextra -Werror -I "$crate/include")
if [ "$checker" = asan ]; then
    cflags+=(-fsanitize=address,undefined -fno-omit-frame-pointer)
fi

case "$lib" in
ours)
    if [ "$profile" = release ]; then
        cargo build -p oxevent-ffi --release --quiet || exit 2
    else
        cargo build -p oxevent-ffi --quiet || exit 2
    fi
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    cdylib="$target_dir/$profile/liboxevent_ffi.so"
    libdir="$out/prefix"
    mkdir -p "$libdir"
    for n in libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_pthreads-2.1.so.7 \
        libevent.so libevent_core.so libevent_pthreads.so; do
        ln -sf "$cdylib" "$libdir/$n"
    done
    ;;
debian) libdir=/usr/lib/x86_64-linux-gnu ;;
*)
    echo "library: ours or debian" >&2
    exit 2
    ;;
esac

bin="$out/apifuzz"
gcc "${cflags[@]}" fuzz/api/apifuzz.c -L "$libdir" -levent -o "$bin" || exit 2

run_batch() { # first count log
    local cmd=("$bin" -q -s "$1" -n "$2" -o "$ops" -t "$timeout_s" "${flags[@]}")
    if [ "$checker" = valgrind ]; then
        cmd=(valgrind -q --error-exitcode=99 --leak-check=full
            --errors-for-leak-kinds=definite --show-leak-kinds=definite "${cmd[@]}")
    fi
    env -u RUST_BACKTRACE LD_LIBRARY_PATH="$libdir" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "${cmd[@]}" >"$3" 2>&1
}

# Runs seeds [$1, $2) batch by batch; after a failure, goes on past it.
run_range() {
    local s=$1 end=$2 status failed_seed n log
    while [ "$s" -lt "$end" ]; do
        n=$((end - s < batch ? end - s : batch))
        log="$out/batch-$s.log"
        run_batch "$s" "$n" "$log" 2>/dev/null # (the shell's "Segmentation fault" notes)
        status=$?
        if [ "$status" -eq 0 ]; then
            grep -h '^apifuzz ' "$log" >>"$out/ok.$1.txt"
            rm -f "$log"
            s=$((s + n))
            continue
        fi
        failed_seed=$(grep -ohE '(VIOLATION|HANG|CRASH) seed=[0-9]+' "$log" | head -1 |
            sed 's/.*seed=//')
        if [ -z "$failed_seed" ]; then
            # A checker error (valgrind, ASan) names no seed: rerun one by one.
            if [ "$n" -gt 1 ]; then
                local k
                for ((k = s; k < s + n; k++)); do
                    run_batch "$k" 1 "$out/seed-$k.log" 2>/dev/null
                    status=$?
                    if [ "$status" -eq 0 ]; then
                        grep -h '^apifuzz ' "$out/seed-$k.log" >>"$out/ok.$1.txt"
                        rm -f "$out/seed-$k.log"
                    else
                        echo "seed $k: FAILED (exit $status), log $out/seed-$k.log" >>"$out/failures.txt"
                    fi
                done
                rm -f "$log"
                s=$((s + n))
                continue
            fi
            failed_seed=$s
        fi
        mv "$log" "$out/seed-$failed_seed.log"
        echo "seed $failed_seed: FAILED (exit $status), log $out/seed-$failed_seed.log" >>"$out/failures.txt"
        s=$((failed_seed + 1))
    done
}

start=$(date +%s)
per=$(((seeds + jobs - 1) / jobs))
pids=()
for ((j = 0; j < jobs; j++)); do
    lo=$((first + j * per))
    hi=$((lo + per))
    [ "$hi" -gt $((first + seeds)) ] && hi=$((first + seeds))
    [ "$lo" -ge "$hi" ] && continue
    run_range "$lo" "$hi" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
end=$(date +%s)

nfail=$(cat "$out/failures.txt" 2>/dev/null | wc -l)
clean_seeds=$((seeds - nfail))
callbacks=$(cat "$out"/ok.*.txt 2>/dev/null |
    sed -n 's/.* \([0-9]*\) callbacks.*/\1/p' | awk '{s += $1} END {print s + 0}')
backend=default
[ -n "${EVENT_NOEPOLL:-}" ] && backend=poll
[ -n "${EVENT_NOEPOLL:-}" ] && [ -n "${EVENT_NOPOLL:-}" ] && backend=select
echo "apifuzz run: library $lib$([ "$lib" = ours ] && echo " ($profile)"), checker $checker, backend $backend, flags '${flags[*]}'"
echo "  seeds $first..$((first + seeds - 1)) x $ops ops: $clean_seeds clean, $nfail failed" \
    "($callbacks callbacks in the batches that ran clean); $((end - start)) s"
if [ "$nfail" -gt 0 ]; then
    cat "$out/failures.txt"
    echo "  logs in $out"
    exit 1
fi
[ -z "${OUT:-}" ] && rm -rf "$out"
exit 0
