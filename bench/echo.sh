#!/usr/bin/env bash
# bench/echo.sh: the echo server of issue 10, one C binary on two libevents.
#
# Builds bench/c/echo_server.c once (bufferevents + evconnlistener, against
# Debian's headers) and bench/c/echo_load.c (a raw-epoll load generator:
# N connections, one 64-byte message in flight each), then for 50 and 1000
# connections runs K interleaved rounds (debian first in odd rounds, ours
# first in even ones) of SECS seconds each and prints medians of echoes/s
# and the paired ratio ours/debian. Then, for each library: syscalls per
# echo (strace -f -c on the server, 50 connections; strace slows the
# server, so that run counts calls only), and the server's peak RSS
# (VmHWM) holding 10,000 idle connections that each did one echo.
#
# Usage: bench/echo.sh [--write] [--rounds K] [--secs S]
#   --write   replace the <!-- echo:begin/end --> section of BENCHMARKS.md
# Environment: OXEVENT_PREFIX (default <repo>/target/oxevent-prefix, made by
# scripts/install.sh), CC (default gcc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$here/out
mkdir -p "$out"
write=0
rounds=5
secs=2
orig_args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --write) write=1 ;;
        --rounds) rounds=$2; shift ;;
        --secs) secs=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "echo.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
OXEVENT_PREFIX=${OXEVENT_PREFIX:-$repo/target/oxevent-prefix}
ours_lib=$OXEVENT_PREFIX/lib
CC=${CC:-gcc}
[ -e "$ours_lib/libevent-2.1.so.7" ] || {
    echo "echo.sh: no $ours_lib/libevent-2.1.so.7; run scripts/install.sh $OXEVENT_PREFIX" >&2
    exit 2
}
"$CC" -O2 -I/usr/include "$here/c/echo_server.c" -levent -o "$out/echo_server"
"$CC" -O2 "$here/c/echo_load.c" -o "$out/echo_load"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# start_server LIB [WRAPPER...]: starts the server, sets $srv_pid, $port.
start_server() {
    local lib=$1
    shift
    local fifo
    fifo=$(mktemp -u "$out/echo.XXXXXX")
    mkfifo "$fifo"
    if [ "$lib" = ours ]; then
        LD_LIBRARY_PATH=$ours_lib "$@" "$out/echo_server" 0 >"$fifo" &
    else
        env -u LD_LIBRARY_PATH "$@" "$out/echo_server" 0 >"$fifo" &
    fi
    srv_pid=$!
    read -r port <"$fifo"
    rm -f "$fifo"
}

stop_server() {
    pkill -TERM -f "^$out/echo_server" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A res
for conns in 50 1000; do
    : >"$out/echo_$conns.tsv"
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) = 1 ]; then order="debian ours"; else order="ours debian"; fi
        for lib in $order; do
            start_server "$lib"
            v=$("$out/echo_load" "$port" "$conns" "$secs")
            # The server's CPU time (user + system, clock ticks) per echo,
            # counting the warm-up's echoes at the measured rate too.
            ticks=$(awk '{print $14 + $15}' "/proc/$srv_pid/stat")
            cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v v="$v" -v s="$secs" \
                'BEGIN {printf "%.2f", t / hz * 1e6 / (v * (s + 0.5))}')
            stop_server
            echo -e "$r\t$lib\t$v\t$cpu" >>"$out/echo_$conns.tsv"
        done
    done
    for lib in debian ours; do
        res[$lib,$conns]=$(awk -v l=$lib '$2==l {print $3}' "$out/echo_$conns.tsv" | median)
    done
    for lib in debian ours; do
        res[cpu,$lib,$conns]=$(awk -v l=$lib '$2==l {print $4}' "$out/echo_$conns.tsv" | median)
    done
    res[ratio,$conns]=$(awk '{v[$1" "$2]=$3} END {for (k in v) {split(k,a," "); if (a[2]=="ours") print v[k]/v[a[1]" debian"]}}' "$out/echo_$conns.tsv" | median)
done

for lib in debian ours; do
    if [ "$lib" = ours ]; then pre=(env LD_LIBRARY_PATH=$ours_lib); else pre=(env -u LD_LIBRARY_PATH); fi
    fifo=$(mktemp -u "$out/echo.XXXXXX"); mkfifo "$fifo"
    "${pre[@]}" strace -f -c -o "$out/strace_$lib.txt" "$out/echo_server" 0 >"$fifo" &
    srv_pid=$!
    read -r port <"$fifo"; rm -f "$fifo"
    "$out/echo_load" "$port" 50 "$secs" >/dev/null
    stop_server
    # Echoes = writev calls that carried them (one per echo on both).
    res[sys,$lib]=$(awk '/^[ 0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ && $NF!="total" {n=NF; calls=$4; name=$NF; tot+=calls; if (name=="writev") w=calls} END {if (w) printf "%.2f", tot/w}' "$out/strace_$lib.txt")
    res[top,$lib]=$(awk '/^[ 0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ && $NF!="total" {print $4, $NF}' "$out/strace_$lib.txt" | sort -rn | head -4 | awk '{printf "%s%s %s", (NR>1?", ":""), $2, $1}')

    start_server "$lib"
    coproc HOLD { "$out/echo_load" "$port" 10000 5 1; }
    read -r ready <&"${HOLD[0]}"
    res[rss,$lib]=$(awk '/VmHWM/ {print $2}' "/proc/$srv_pid/status")
    exec {HOLD[1]}>&-
    wait "$HOLD_PID" 2>/dev/null || true
    stop_server
done

table=$(cat <<TABLE
| workload | debian echoes/s | ours echoes/s | ours/debian (paired median) | server CPU µs/echo debian | ours |
|---|---:|---:|---:|---:|---:|
| 64 B ping-pong, 50 connections | ${res[debian,50]} | ${res[ours,50]} | ${res[ratio,50]} | ${res[cpu,debian,50]} | ${res[cpu,ours,50]} |
| 64 B ping-pong, 1000 connections | ${res[debian,1000]} | ${res[ours,1000]} | ${res[ratio,1000]} | ${res[cpu,debian,1000]} | ${res[cpu,ours,1000]} |

| per server | debian | ours |
|---|---:|---:|
| syscalls per echo (strace -c, 50 conns) | ${res[sys,debian]} | ${res[sys,ours]} |
| largest syscall counts | ${res[top,debian]} | ${res[top,ours]} |
| peak RSS with 10,000 idle connections (VmHWM, KiB) | ${res[rss,debian]} | ${res[rss,ours]} |
TABLE
)
echo "$table"
if [ "$write" = 1 ]; then
    section=$(printf '<!-- echo:begin -->\n## Echo server (issue 10)\n\n`bash bench/echo.sh %s` on %s (%s rounds of %s s, interleaved; the machine: 2 cores shared with the load generator).\n\n%s\n<!-- echo:end -->\n' "${orig_args[*]}" "$(date -u +%Y-%m-%d)" "$rounds" "$secs" "$table")
    f=$repo/BENCHMARKS.md
    if grep -q '<!-- echo:begin -->' "$f"; then
        awk -v s="$section" '/<!-- echo:begin -->/ {print s; skip=1; next} /<!-- echo:end -->/ {skip=0; next} !skip' "$f" >"$f.new" && mv "$f.new" "$f"
    else
        printf '\n%s\n' "$section" >>"$f"
    fi
fi
