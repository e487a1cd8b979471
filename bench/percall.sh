#!/usr/bin/env bash
# bench/percall.sh: instructions per public call, Debian's libevent vs oxevent.
#
# Builds bench/c/percall.c once (against Debian's headers) and runs every
# operation under callgrind with the SAME binary against both libraries, on
# epoll and on poll, collecting only inside the measured call
# (--toggle-collect=m_<op>). Instruction counts are repeatable here, wall
# time is not. Also: the pipe chain's loop and whole process per event, peak
# RSS with 1M pending timers, and the cross-thread activation flood.
#
# Usage: bench/percall.sh [--write] [--ops "op op ..."]
#   --write  replace the <!-- bench:percall:begin/end --> section of BENCHMARKS.md
#
# Environment: OXEVENT_PREFIX (default <repo>/target/oxevent-prefix, built
# with scripts/install.sh), CC (default gcc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$here/out
mkdir -p "$out"
write=0
ops="assign add_fd del_fd add_timer del_timer readd_timer readd_cb pending pingpong active"
while [ $# -gt 0 ]; do
    case $1 in
        --write) write=1 ;;
        --ops) ops=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "percall.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
OXEVENT_PREFIX=${OXEVENT_PREFIX:-$repo/target/oxevent-prefix}
ours_lib=$OXEVENT_PREFIX/lib
CC=${CC:-gcc}
[ -e "$ours_lib/libevent-2.1.so.7" ] || {
    echo "percall.sh: no $ours_lib/libevent-2.1.so.7; run scripts/install.sh $OXEVENT_PREFIX" >&2
    exit 2
}

"$CC" -O2 -Wall -Wextra -o "$out/percall" "$here/c/percall.c" -levent -ldl
"$CC" -O2 -Wall -Wextra -o "$out/pipechain" "$here/c/pipechain.c" -levent -ldl
"$CC" -O2 -Wall -Wextra -o "$out/rss_timers" "$here/c/rss_timers.c" -levent
"$CC" -O2 -Wall -Wextra -pthread -o "$out/xthread" "$here/c/xthread.c" -levent -levent_pthreads

with_lib() {
    local lib=$1; shift
    if [ "$lib" = ours ]; then env LD_LIBRARY_PATH="$ours_lib" "$@"; else env -u LD_LIBRARY_PATH "$@"; fi
}

# cg LIB BACKEND TOGGLE CMD...: callgrind Ir inside TOGGLE ("" = whole process).
cg() {
    local lib=$1 backend=$2 toggle=$3; shift 3
    local envs=() tog=()
    [ "$backend" = poll ] && envs=(EVENT_NOEPOLL=1)
    [ "$backend" = select ] && envs=(EVENT_NOEPOLL=1 EVENT_NOPOLL=1)
    [ -n "$toggle" ] && tog=(--toggle-collect="$toggle")
    with_lib "$lib" env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "${tog[@]}" "$@" 2>"$out/cg.err" >/dev/null || { echo fail; return; }
    sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p' "$out/cg.err" | tail -1
}

per() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.0f}')" "$1" "$2"; }

n=20000
rows=()
for op in $ops; do
    for backend in epoll poll; do
        case $op in
            assign|add_timer|del_timer|readd_timer|readd_cb|pingpong|active)
                [ "$backend" = poll ] && continue ;;
        esac
        d=$(cg debian "$backend" "m_$op" "$out/percall" "$op" "$n")
        o=$(cg ours "$backend" "m_$op" "$out/percall" "$op" "$n")
        rows+=("$op|$backend|$(per "$d" "$n")|$(per "$o" "$n")")
        echo "$op $backend debian=$(per "$d" "$n") ours=$(per "$o" "$n")" >&2
    done
done
# Pipe chain N=1000 A=100 W=100, 3 runs: loop per event, then whole process.
# select: N=400, since libevent's select backend fails with 2000 fds
# (beyond FD_SETSIZE); the callbacks per run do not depend on N.
pc=(-n 1000 -a 100 -w 100 -r 3 -q)
events=600
for backend in epoll poll select; do
    args=("${pc[@]}")
    label="pipechain loop"
    if [ "$backend" = select ]; then
        args=(-n 400 -a 100 -w 100 -r 3 -q)
        label="pipechain loop (N=400)"
    fi
    d=$(cg debian "$backend" bench_loop "$out/pipechain" "${args[@]}")
    o=$(cg ours "$backend" bench_loop "$out/pipechain" "${args[@]}")
    rows+=("$label|$backend|$(per "$d" $events)|$(per "$o" $events)")
    echo "pipechain loop $backend debian=$(per "$d" $events) ours=$(per "$o" $events)" >&2
done
d=$(cg debian epoll "" "$out/pipechain" "${pc[@]}")
o=$(cg ours epoll "" "$out/pipechain" "${pc[@]}")
rows+=("pipechain whole process|epoll|$(per "$d" $events)|$(per "$o" $events)")

rss_d=$(with_lib debian "$out/rss_timers" 1000000)
rss_o=$(with_lib ours "$out/rss_timers" 1000000)
# The flood is wall time under contention, bimodal on this 2-core VM: 9
# alternating runs, median and range.
xt=$(for _ in 1 2 3 4 5 6 7 8 9; do
    d=$(with_lib debian "$out/xthread" 1000000)
    o=$(with_lib ours "$out/xthread" 1000000)
    echo "${d#ms } ${o#ms }"
done | python3 -c '
import sys, statistics as st
r = [tuple(map(float, l.split())) for l in sys.stdin]
for i in 0, 1:
    v = sorted(x[i] for x in r)
    print(f"ms {st.median(v):.1f} ({v[0]:.0f}–{v[-1]:.0f})")
')
xt_d=$(sed -n 1p <<<"$xt")
xt_o=$(sed -n 2p <<<"$xt")

table=$(
    echo "| operation | backend | libevent instr/call | oxevent instr/call | ratio |"
    echo "|---|---|---:|---:|---:|"
    for r in "${rows[@]}"; do
        IFS='|' read -r op be d o <<<"$r"
        ratio=$(python3 -c "import sys; print(f'{float(sys.argv[2])/float(sys.argv[1]):.2f}')" "$d" "$o" 2>/dev/null || echo —)
        echo "| $op | $be | $d | $o | $ratio |"
    done
    echo
    echo "| measure | libevent | oxevent |"
    echo "|---|---:|---:|"
    echo "| peak RSS, 1M pending timers (event_new + event_add), kB | ${rss_d#peak_kb } | ${rss_o#peak_kb } |"
    echo "| cross-thread event_active flood, 1M calls, ms, median of 9 (range) | ${xt_d#ms } | ${xt_o#ms } |"
)
echo "$table"
if [ "$write" = 1 ]; then
    md=$repo/BENCHMARKS.md
    section=$(printf '%s\n' "<!-- bench:percall:begin -->" \
        "## Per-call cost: one binary, Debian libevent 2.1.12 vs oxevent" "" \
        "Regenerate: \`scripts/install.sh target/oxevent-prefix && bench/percall.sh --write\`" "" \
        "Measured $(date -u '+%Y-%m-%d %H:%M UTC'); callgrind Ir inside the measured call only (\`--toggle-collect=m_<op>\`, see \`bench/c/percall.c\`), $n calls each; pipe chain N=1000 A=100 W=100, 3 runs, 600 callbacks." "" \
        "$table" "<!-- bench:percall:end -->")
    SECTION=$section python3 - "$md" <<'PY'
import os, sys, re
p = sys.argv[1]
text = open(p).read()
sec = os.environ["SECTION"]
b, e = "<!-- bench:percall:begin -->", "<!-- bench:percall:end -->"
if b in text:
    text = text[:text.index(b)] + sec + text[text.index(e) + len(e):]
else:
    text = text.rstrip("\n") + "\n\n" + sec + "\n"
open(p, "w").write(text)
PY
fi
