#!/usr/bin/env bash
# bench/run.sh: C benchmarks, one binary run against two libevents.
#
# Builds bench/c/*.c once, then runs each workload with the SAME binary
# against Debian's libevent (LD_LIBRARY_PATH unset) and against oxevent
# (LD_LIBRARY_PATH=$OXEVENT_PREFIX/lib), interleaved for K rounds (A B, then B A, ...),
# next to a raw-epoll floor for the pipe chain. Prints a Markdown table of
# medians, paired ratios and callgrind instruction counts per event.
#
# Usage: bench/run.sh [--quick] [--write] [--rounds K] [--no-callgrind]
#   --quick     smoke run: K=3, fewer runs per process, smaller timer counts
#   --write     also replace the <!-- bench:c:begin/end --> section of
#               BENCHMARKS.md (the file is created if it does not exist)
#   --rounds K  interleaved rounds (default 7; 3 with --quick)
#   --no-callgrind  skip the instruction counts
#
# Environment:
#   OXEVENT_PREFIX  install prefix of oxevent (default <repo>/target/oxevent-prefix);
#                   $OXEVENT_PREFIX/lib must hold libevent-2.1.so.7
#   BENCH_INCLUDE   header directory used to compile (default /usr/include)
#   BENCH_LDFLAGS   extra link flags (default none; -levent resolves to Debian's)
#   CC              compiler (default gcc)
#   BENCH_TIMEOUT   seconds before one benchmark process is killed (default 300)
#
# Raw per-round numbers are left in bench/out/results.tsv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$here/out

quick=0
write=0
callgrind=1
rounds=
orig_args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --write) write=1 ;;
        --no-callgrind) callgrind=0 ;;
        --rounds|-k)
            [ $# -ge 2 ] || { echo "run.sh: $1 needs a number" >&2; exit 2; }
            rounds=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    rounds=${rounds:-3}
    pc_runs=10        # pipe-chain runs inside one process (median taken)
    pc_cg_runs=2      # runs under callgrind
    timers_n=100000
    timers_cg_n=20000
else
    rounds=${rounds:-7}
    pc_runs=25
    pc_cg_runs=3
    timers_n=1000000
    timers_cg_n=100000
fi
case $rounds in ''|*[!0-9]*|0) echo "run.sh: bad round count '$rounds'" >&2; exit 2 ;; esac

# Pipe-chain configurations: "N A W".
pc_configs=("1000 100 100" "9900 100 1000")

oxevent_prefix_from_env=${OXEVENT_PREFIX:+1}
OXEVENT_PREFIX=${OXEVENT_PREFIX:-$repo/target/oxevent-prefix}
ours_lib=$OXEVENT_PREFIX/lib
CC=${CC:-gcc}
BENCH_INCLUDE=${BENCH_INCLUDE:-/usr/include}
BENCH_LDFLAGS=${BENCH_LDFLAGS:-}

mkdir -p "$out"
results=$out/results.tsv
meta=$out/meta.tsv
: >"$results"
: >"$meta"

log() { echo "run.sh: $*" >&2; }

# ---------------------------------------------------------------- build
log "building with $CC -O2 -I$BENCH_INCLUDE ${BENCH_LDFLAGS:+$BENCH_LDFLAGS }-levent"
for prog in pipechain timers; do
    # shellcheck disable=SC2086
    nice "$CC" -O2 -Wall -Wextra -I"$BENCH_INCLUDE" -o "$out/$prog" \
        "$here/c/$prog.c" $BENCH_LDFLAGS -levent
done
nice "$CC" -O2 -Wall -Wextra -o "$out/pipechain_epoll" "$here/c/pipechain_epoll.c"

# ---------------------------------------------------------------- libraries
libs=(debian)
ours_status=
if [ -e "$ours_lib/libevent-2.1.so.7" ]; then
    lib_line=$(LD_LIBRARY_PATH=$ours_lib "$out/pipechain" -n 2 -a 1 -w 1 -r 1 -q 2>&1 >/dev/null \
               | grep '^# lib' || true)
    loaded=$(echo "$lib_line" | awk '{print $3}')
    if [ -n "$loaded" ] && [ "$(cd "$(dirname "$loaded")" && pwd -P)" = "$(cd "$ours_lib" && pwd -P)" ]; then
        libs+=(ours)
        ours_status="oxevent from $ours_lib"
    else
        ours_status="found $ours_lib/libevent-2.1.so.7, but the binary loaded '${loaded:-nothing}' (${lib_line:-no output}); ours not benchmarked"
        log "$ours_status"
    fi
else
    ours_status="not benchmarked: expected oxevent's libevent-2.1.so.7 in $ours_lib (set OXEVENT_PREFIX to the install prefix whose lib/ holds it)"
    log "$ours_status"
fi
printf 'ours_status\t%s\n' "$ours_status" >>"$meta"

fd_hard=$(ulimit -Hn)
run_timeout=${BENCH_TIMEOUT:-300}   # seconds per process (callgrind included)

# run_with LIB CMD...: run CMD with the dynamic-linker setup for LIB.
run_with() {
    local lib=$1; shift
    # A hung library (e.g. timers that never fire) must not hang the script.
    if [ "$lib" = ours ]; then
        timeout "$run_timeout" env LD_LIBRARY_PATH="$ours_lib" "$@"
    else
        timeout "$run_timeout" env -u LD_LIBRARY_PATH "$@"
    fi
}

# record WORKLOAD LIB ROUND KEY VALUE
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# measure WORKLOAD LIB ROUND CMD...: run once, record its "key value" lines.
measure() {
    local wl=$1 lib=$2 round=$3; shift 3
    local errf=$out/last.err outp rc=0
    outp=$(run_with "$lib" "$@" 2>"$errf") || rc=$?
    if ! grep -q "^$lib"$'\t'"$(basename "$1")"$'\t' "$meta"; then
        printf '%s\t%s\t%s\n' "$lib" "$(basename "$1")" \
            "$(grep '^# lib' "$errf" | head -1 | sed 's/^# lib //')" >>"$meta"
    fi
    if [ $rc -ne 0 ]; then
        log "FAILED ($lib, exit $rc): $*"
        sed 's/^/    /' "$errf" >&2
        record "$wl" "$lib" "$round" status fail
        [ "$lib" = ours ] || exit 1
        return 0
    fi
    # "median_us X events C" -> us X, events C; "key value" lines as they are.
    echo "$outp" | awk -v wl="$wl" -v lib="$lib" -v r="$round" '
        $1 == "median_us" { print wl "\t" lib "\t" r "\tus\t" $2; print wl "\t" lib "\t" r "\tevents\t" $4; next }
        NF == 2 && $1 != "us" { print wl "\t" lib "\t" r "\t" $1 "\t" $2 }' >>"$results"
}

# callgrind WORKLOAD LIB KEY TOGGLE_FN CMD...: instructions inside TOGGLE_FN.
callgrind_count() {
    local wl=$1 lib=$2 key=$3 fn=$4; shift 4
    local errf=$out/cg.err outp rc=0
    outp=$(run_with "$lib" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
               --toggle-collect="$fn" "$@" 2>"$errf") || rc=$?
    if [ $rc -ne 0 ]; then
        log "callgrind FAILED ($lib, exit $rc): $*"
        tail -20 "$errf" | sed 's/^/    /' >&2
        record "$wl" "$lib" cg "cg_$key" fail
        [ "$lib" = ours ] || exit 1
        return 0
    fi
    local ir
    ir=$(sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p' "$errf" | tail -1)
    record "$wl" "$lib" cg "cg_$key" "${ir:-fail}"
    echo "$outp" | awk -v wl="$wl" -v lib="$lib" '
        $1 == "median_us" { print wl "\t" lib "\tcg\tcg_events\t" $4; next }
        NF == 2 && $1 != "us" { print wl "\t" lib "\tcg\tcg_" $1 "\t" $2 }' >>"$results"
}

# ---------------------------------------------------------------- workloads
pc_ok=()
for cfg in "${pc_configs[@]}"; do
    read -r n a w <<<"$cfg"
    if [ "$fd_hard" != unlimited ] && [ $((2 * n + 32)) -gt "$fd_hard" ]; then
        log "skipping pipechain N=$n: needs $((2 * n + 32)) descriptors, hard limit is $fd_hard"
        printf 'skipped\tpipechain N=%s A=%s W=%s (needs %s fds, hard limit %s)\n' \
            "$n" "$a" "$w" $((2 * n + 32)) "$fd_hard" >>"$meta"
        continue
    fi
    pc_ok+=("$cfg")
done

start=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
    log "round $r/$rounds"
    # Alternate which library goes first (A B, B A, ...): the process that
    # runs right after another workload is measurably disturbed (the kernel
    # is still tearing down the previous process's thousands of sockets), so
    # a fixed order would bias the paired ratios.
    order=("${libs[@]}")
    if [ $((r % 2)) = 0 ] && [ ${#libs[@]} = 2 ]; then order=("${libs[1]}" "${libs[0]}"); fi
    for cfg in "${pc_ok[@]}"; do
        read -r n a w <<<"$cfg"
        wl="pipechain N=$n A=$a W=$w"
        for lib in "${order[@]}"; do
            measure "$wl" "$lib" "$r" "$out/pipechain" -n "$n" -a "$a" -w "$w" -r "$pc_runs" -q
        done
        measure "$wl" floor "$r" "$out/pipechain_epoll" -n "$n" -a "$a" -w "$w" -r "$pc_runs" -q
    done
    for lib in "${order[@]}"; do
        measure "timers n=$timers_n" "$lib" "$r" "$out/timers" -n "$timers_n" -s "$r"
    done
done

if [ "$callgrind" = 1 ]; then
    if command -v valgrind >/dev/null; then
        log "callgrind instruction counts"
        for cfg in "${pc_ok[@]}"; do
            read -r n a w <<<"$cfg"
            wl="pipechain N=$n A=$a W=$w"
            for lib in "${libs[@]}"; do
                callgrind_count "$wl" "$lib" loop bench_loop \
                    "$out/pipechain" -n "$n" -a "$a" -w "$w" -r "$pc_cg_runs" -q
            done
            callgrind_count "$wl" floor loop bench_loop \
                "$out/pipechain_epoll" -n "$n" -a "$a" -w "$w" -r "$pc_cg_runs" -q
        done
        for lib in "${libs[@]}"; do
            for phase in add del fire; do
                callgrind_count "timers n=$timers_n" "$lib" "$phase" "phase_$phase" \
                    "$out/timers" -n "$timers_cg_n" -s 1
            done
        done
    else
        log "valgrind not found; no instruction counts"
        callgrind=0
    fi
fi
log "measurements took $(( $(date +%s) - start )) s"

# ---------------------------------------------------------------- report
cmd="bench/run.sh"
for arg in "${orig_args[@]}"; do cmd+=" $arg"; done
[ -n "$oxevent_prefix_from_env" ] && cmd="OXEVENT_PREFIX=$OXEVENT_PREFIX $cmd"
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1)

RESULTS=$results META=$meta WRITE=$write CMD=$cmd ROUNDS=$rounds PC_RUNS=$pc_runs \
PC_CG_RUNS=$pc_cg_runs TIMERS_CG_N=$timers_cg_n CALLGRIND=$callgrind \
NPROC=$(nproc) CPU="$cpu" KERNEL=$(uname -r) CCVER="$("$CC" --version | head -1)" \
DATE=$(date -u '+%Y-%m-%d %H:%M UTC') MD=$repo/BENCHMARKS.md \
python3 - <<'PY'
import os, statistics, collections

E = os.environ
rows = collections.defaultdict(dict)         # (wl, lib) -> {round: {key: val}}
order = []
for line in open(E["RESULTS"]):
    wl, lib, rnd, key, val = line.rstrip("\n").split("\t")
    if wl not in order:
        order.append(wl)
    rows[(wl, lib)].setdefault(rnd, {})[key] = val

meta_libs, skipped, ours_status = {}, [], ""
for line in open(E["META"]):
    parts = line.rstrip("\n").split("\t")
    if parts[0] == "ours_status":
        ours_status = parts[1]
    elif parts[0] == "skipped":
        skipped.append(parts[1])
    elif len(parts) == 3 and parts[1] != "pipechain_epoll" and parts[2]:
        meta_libs.setdefault(parts[0], parts[2])

def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None

def series(wl, lib, key):
    """{round: value} over the timed rounds, None for failed rounds."""
    out = {}
    for rnd, kv in rows.get((wl, lib), {}).items():
        if rnd == "cg":
            continue
        out[rnd] = None if kv.get("status") == "fail" else num(kv.get(key))
    return out

def median_of(wl, lib, key):
    s = series(wl, lib, key)
    if not s:
        return None
    if any(v is None for v in s.values()):
        return "FAIL"
    return statistics.median(s.values())

def paired_ratio(wl, key):
    a, b = series(wl, "debian", key), series(wl, "ours", key)
    r = [b[k] / a[k] for k in a if k in b and a[k] and b[k] is not None]
    return statistics.median(r) if r and len(r) == len(b) else None

def cg(wl, lib, key, per):
    kv = rows.get((wl, lib), {}).get("cg", {})
    ir = num(kv.get("cg_" + key))
    if kv.get("cg_" + key) == "fail":
        return "FAIL"
    if ir is None:
        return None
    n = per(kv)
    return ir / n if n else None

def fmt(v, digits=1):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"

have_ours = any(lib == "ours" for (_, lib) in rows)
pc_runs_cg = int(E["PC_CG_RUNS"])
lines = [
    "| workload | metric | debian median | ours median | ratio ours/debian | instr/event debian | instr/event ours |",
    "|---|---|---:|---:|---:|---:|---:|",
]
for wl in order:
    if wl.startswith("pipechain"):
        ev = next((v.get("events") for v in rows[(wl, "debian")].values() if "events" in v), "?")
        metric = f"µs per run ({ev} callbacks)"
        per = lambda kv: num(kv.get("cg_events")) * pc_runs_cg if num(kv.get("cg_events")) else None
        lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(
            wl, metric,
            fmt(median_of(wl, "debian", "us")),
            fmt(median_of(wl, "ours", "us")) if have_ours else "—",
            fmt(paired_ratio(wl, "us"), 3) if have_ours else "—",
            fmt(cg(wl, "debian", "loop", per), 0),
            fmt(cg(wl, "ours", "loop", per), 0) if have_ours else "—"))
        lines.append("| {} | {} | {} | — | — | {} | — |".format(
            wl.replace("pipechain", "pipechain_epoll (floor)"), metric,
            fmt(median_of(wl, "floor", "us")),
            fmt(cg(wl, "floor", "loop", per), 0)))
    elif wl.startswith("timers"):
        for key, metric, cgkey, per in (
            ("add_ns", "ns per event_add", "add", lambda kv: num(kv.get("cg_added"))),
            ("del_ns", "ns per event_del", "del", lambda kv: num(kv.get("cg_deleted"))),
            ("fire_ns", "ns per fire (CPU user+sys)", "fire", lambda kv: num(kv.get("cg_fired"))),
            ("fire_wall_ns", "ns per fire (wall, incl. waiting)", None, None),
        ):
            lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(
                wl, metric,
                fmt(median_of(wl, "debian", key)),
                fmt(median_of(wl, "ours", key)) if have_ours else "—",
                fmt(paired_ratio(wl, key), 3) if have_ours else "—",
                fmt(cg(wl, "debian", cgkey, per), 0) if cgkey else "—",
                (fmt(cg(wl, "ours", cgkey, per), 0) if cgkey else "—") if have_ours else "—"))

notes = [
    f"- Each cell is the median over {E['ROUNDS']} interleaved rounds (debian and ours alternate which runs first; the floor runs after both); "
    f"a pipe-chain round is itself the median of {E['PC_RUNS']} runs inside one process, "
    "timing only the EVLOOP_ONCE|EVLOOP_NONBLOCK loop after the A starting bytes are written.",
    "- Ratio: median over rounds of ours/debian measured in the same round (< 1 means oxevent is faster).",
    "- Floor rows: the same pipe chain written on raw epoll without libevent (value shown in the debian column).",
    "- Timers: random timeouts in [0, 50] ms; delete a random half; dispatch until the rest fire. "
    "Fire cost is CPU time (getrusage) per fired timer; the program checks that exactly the kept timers fired.",
]
if E["CALLGRIND"] == "1":
    notes.append(
        "- instr/event: user-space instructions (callgrind Ir) collected only inside the timed region "
        "(`--toggle-collect=bench_loop`, `phase_add`, `phase_del`, `phase_fire`), divided by the events in it; "
        f"kernel work is not counted. Pipe chain under callgrind: {pc_runs_cg} runs; "
        f"timers under callgrind: -n {E['TIMERS_CG_N']}.")
else:
    notes.append("- Instruction counts were not collected for this table.")
for s in skipped:
    notes.append(f"- Skipped: {s}.")
notes.append(f"- Debian: `{meta_libs.get('debian', '?')}`.")
notes.append(f"- Ours: `{meta_libs['ours']}`." if "ours" in meta_libs else f"- Ours: {ours_status}.")

table = "\n".join(lines)
print(table)
print()
print("\n".join(notes))

if E["WRITE"] == "1":
    begin, end = "<!-- bench:c:begin -->", "<!-- bench:c:end -->"
    section = "\n".join([
        begin,
        "## C benchmarks: one binary, Debian libevent 2.1.12 vs oxevent",
        "",
        "Regenerate (from the repository root):",
        "",
        "```sh",
        E["CMD"] if "--write" in E["CMD"] else E["CMD"] + " --write",
        "```",
        "",
        f"Measured {E['DATE']} on {E['NPROC']} CPUs ({E['CPU']}), Linux {E['KERNEL']}, {E['CCVER']}.",
        "",
        table,
        "",
        *notes,
        end,
    ])
    path = E["MD"]
    if os.path.exists(path):
        text = open(path).read()
    else:
        text = ("# Benchmarks\n\n"
                "Numbers from a shared, noisy 2-core machine: compare ratios and instruction "
                "counts rather than absolute times. The sections between the markers are "
                "generated; edit outside them.\n\n" + begin + "\n" + end + "\n")
    if begin in text and end in text and text.index(begin) < text.index(end):
        i, j = text.index(begin), text.index(end) + len(end)
        text = text[:i] + section + text[j:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(f"\n(wrote {path})", flush=True)
PY
