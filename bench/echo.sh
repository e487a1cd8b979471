#!/usr/bin/env bash
# bench/echo.sh: the echo server of issue 10 (64-byte ping-pong), four
# servers under one load generator.
#
#   debian  bench/c/echo_server.c (evconnlistener + one socket bufferevent
#           per connection), built ONCE against Debian's headers, run on
#           Debian's libevent 2.1.12 (LD_LIBRARY_PATH unset)
#   ours    the same binary on oxevent (LD_LIBRARY_PATH = a directory of
#           libevent SONAME symlinks to target/release/liboxevent_ffi.so)
#   rust    bench/src/bin/echo_rust.rs, the same server on oxevent's Rust
#           API (Listener + BufferEvent)
#   epoll   bench/c/echo_epoll.c, the same server on raw epoll: the floor
#
# The load generator (bench/c/echo_load.c, raw epoll) keeps one 64-byte
# message in flight on each of N connections and counts echoes for SECS
# seconds after a 0.5 s warm-up. For 50 and 1000 connections, K rounds;
# each round runs the four servers in a rotated order. Prints medians of
# echoes/s and of the server's CPU time per echo, and medians of the
# per-round ratios ours/debian, rust/debian and each/epoll. Then, per
# server: syscalls per echo (strace -f -c on the server, one run with 50
# connections; strace slows the server, so that run counts calls only),
# and peak RSS (VmHWM) holding 10,000 idle connections that each did one
# echo (so the server allocated its buffers).
#
# Usage: bench/echo.sh [--write] [--rounds K] [--secs S] [--rss-conns N] [--pin]
#   --write        replace the <!-- echo:begin/end --> section of BENCHMARKS.md
#   --rounds K     rounds (default 5)
#   --secs S       measured seconds per run (default 2; plus 0.5 s warm-up)
#   --rss-conns N  idle connections for the RSS figure (default 10000)
#   --pin          pin the server to CPU 0 and the load generator to CPU 1
#                  (off by default: the two cores are shared with other
#                  jobs, and a pinned process cannot move off a busy core)
#
# Environment: OXEVENT_PREFIX (use PREFIX/lib instead of the fresh release
# build, e.g. one made by scripts/install.sh), CC (default gcc).
# Raw numbers: bench/out/echo.tsv, bench/out/echo-strace-*.txt,
# server stderr in bench/out/echo-*.err.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$here/out
mkdir -p "$out"
write=0
rounds=5
secs=2
rss_conns=10000
pin=0
orig_args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --write) write=1 ;;
        --pin) pin=1 ;;
        --rounds|--secs|--rss-conns)
            [ $# -ge 2 ] || { echo "echo.sh: $1 needs a value" >&2; exit 2; }
            case $1 in
                --rounds) rounds=$2 ;;
                --secs) secs=$2 ;;
                --rss-conns) rss_conns=$2 ;;
            esac
            shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "echo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case $rounds in ''|*[!0-9]*|0) echo "echo.sh: bad round count '$rounds'" >&2; exit 2 ;; esac
case $rss_conns in ''|*[!0-9]*|0) echo "echo.sh: bad --rss-conns '$rss_conns'" >&2; exit 2 ;; esac
case $secs in ''|*[!0-9.]*|.) echo "echo.sh: bad --secs '$secs'" >&2; exit 2 ;; esac

CC=${CC:-gcc}
log() { echo "echo.sh: $*" >&2; }

# ---------------------------------------------------------------- build
log "building"
nice "$CC" -O2 -g -Wall -Wextra -I/usr/include -o "$out/echo_server" "$here/c/echo_server.c" -levent
nice "$CC" -O2 -g -Wall -Wextra -o "$out/echo_epoll" "$here/c/echo_epoll.c"
nice "$CC" -O2 -g -Wall -Wextra -o "$out/echo_load" "$here/c/echo_load.c"
(cd "$repo" && nice cargo build --release -q -p oxevent-ffi &&
    nice cargo build --release -q -p oxevent-bench --bin echo_rust)
rust_bin=$repo/target/release/echo_rust

if [ -n "${OXEVENT_PREFIX:-}" ]; then
    ours_lib=$OXEVENT_PREFIX/lib
else
    # A prefix of symlinks: always the library just built.
    ours_lib=$out/echo-lib
    mkdir -p "$ours_lib"
    for name in libevent libevent_core libevent_pthreads; do
        ln -sfn "$repo/target/release/liboxevent_ffi.so" "$ours_lib/$name-2.1.so.7"
    done
fi
# The binary really loads the library we think.
loaded=$(LD_LIBRARY_PATH=$ours_lib LD_TRACE_LOADED_OBJECTS=1 "$out/echo_server" |
         awk '/libevent-2.1/ {print $3}')
case $loaded in
    "$ours_lib"/*) ;;
    *) echo "echo.sh: with LD_LIBRARY_PATH=$ours_lib the server loads '$loaded'" >&2; exit 1 ;;
esac
loaded=$(env -u LD_LIBRARY_PATH LD_TRACE_LOADED_OBJECTS=1 "$out/echo_server" |
         awk '/libevent-2.1/ {print $3}')
case $loaded in
    /usr/lib/*|/lib/*) ;;
    *) echo "echo.sh: without LD_LIBRARY_PATH the server loads '$loaded'" >&2; exit 1 ;;
esac

# 10,000 connections: the server and the load generator each need that
# many descriptors.
want=$((rss_conns + 1000))
[ "$want" -lt 65536 ] || want=65536
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
    log "RLIMIT_NOFILE is $(ulimit -n) (hard $(ulimit -Hn)): fewer than $want descriptors; --rss-conns $rss_conns may fail"
fi
nofile=$(ulimit -n)

servers=(debian ours rust epoll)
srv_cmd() {   # SERVER: the command line (env execs, so $! is the server)
    local pre=()
    [ "$pin" = 1 ] && pre=(taskset -c 0)
    case $1 in
        debian) echo env -u LD_LIBRARY_PATH "${pre[@]}" "$out/echo_server" 0 ;;
        ours) echo env LD_LIBRARY_PATH="$ours_lib" "${pre[@]}" "$out/echo_server" 0 ;;
        rust) echo env -u LD_LIBRARY_PATH "${pre[@]}" "$rust_bin" 0 ;;
        epoll) echo env -u LD_LIBRARY_PATH "${pre[@]}" "$out/echo_epoll" 0 ;;
    esac
}
load() {   # PORT N SECS [IDLE]
    if [ "$pin" = 1 ]; then taskset -c 1 "$out/echo_load" "$@"; else "$out/echo_load" "$@"; fi
}

events=$out/echo-events.txt   # odd things seen: crashes, load generator errors
: >"$events"
for s in "${servers[@]}"; do : >"$out/echo-$s.err"; done
event() { log "$*"; echo "$*" >>"$events"; }

# start_server SERVER [WRAPPER...]: sets srv_pid (what was started: the
# server, or the wrapper) and port; returns 1 if no port came.
start_server() {
    local s=$1 fifo
    shift
    fifo=$(mktemp -u "$out/echo-fifo.XXXXXX")
    mkfifo "$fifo"
    # shellcheck disable=SC2046
    "$@" $(srv_cmd "$s") >"$fifo" 2>>"$out/echo-$s.err" &
    srv_pid=$!
    port=
    read -r -t 20 port <"$fifo" || true
    rm -f "$fifo"
    case $port in
        ''|*[!0-9]*) event "$s: no port from the server"; stop_server "$s"; return 1 ;;
    esac
}
# stop_server SERVER: SIGTERM to what start_server started (the server
# stops its loop and exits 0); a crash or a hang is reported.
stop_server() {
    local s=$1 rc=0 i
    # (bash reaps its children itself: one that has exited is gone from
    # /proc, and wait still gives its status)
    if kill -0 "$srv_pid" 2>/dev/null; then
        kill -TERM "$srv_pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$srv_pid" 2>/dev/null || break
            [ "$(awk '{print $3}' "/proc/$srv_pid/stat" 2>/dev/null)" = Z ] && break
            sleep 0.05
        done
        if [ "$i" = 100 ]; then
            event "$s: server did not stop on SIGTERM within 5 s; killed"
            kill -KILL "$srv_pid" 2>/dev/null || true
        fi
    fi
    wait "$srv_pid" 2>/dev/null || rc=$?
    [ "$rc" = 0 ] || event "$s: server exit status $rc"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

tsv=$out/echo.tsv   # kind server round key value
: >"$tsv"
hz=$(getconf CLK_TCK)
start=$(date +%s)

# ---------------------------------------------------------------- throughput
for conns in 50 1000; do
    for ((r = 1; r <= rounds; r++)); do
        log "$conns connections, round $r/$rounds"
        order=()
        for ((i = 0; i < ${#servers[@]}; i++)); do
            order+=("${servers[$(( (i + r - 1) % ${#servers[@]} ))]}")
        done
        for s in "${order[@]}"; do
            start_server "$s" || continue
            if res=$(load "$port" "$conns" "$secs" 2>>"$out/echo-load.err"); then
                read -r rate total <<<"$res"
                ticks=$(cpu_ticks "$srv_pid")
                kill -0 "$srv_pid" 2>/dev/null ||
                    event "$s: server gone right after the load ($conns connections, round $r)"
                printf 'tput%s\t%s\t%s\trate\t%s\n' "$conns" "$s" "$r" "$rate" >>"$tsv"
                printf 'tput%s\t%s\t%s\tcpu_us\t%s\n' "$conns" "$s" "$r" \
                    "$(awk -v t="$ticks" -v hz="$hz" -v n="$total" 'BEGIN {printf "%.3f", t / hz * 1e6 / n}')" >>"$tsv"
            else
                event "$s: load generator failed with $conns connections (round $r): $(tail -1 "$out/echo-load.err")"
            fi
            stop_server "$s"
        done
    done
done

# ---------------------------------------------------------------- syscalls
for s in "${servers[@]}"; do
    log "$s: strace -f -c, 50 connections"
    st=$out/echo-strace-$s.txt
    rm -f "$st"
    start_server "$s" strace -f -c -o "$st" || continue
    if res=$(load "$port" 50 "$secs" 2>>"$out/echo-load.err"); then
        read -r rate total <<<"$res"
    else
        total=
        event "$s: load generator failed under strace: $(tail -1 "$out/echo-load.err")"
    fi
    # srv_pid is strace: stop the server it runs (SIGTERM), strace then
    # writes its summary and exits.
    kid=$(awk '{print $1}' "/proc/$srv_pid/task/$srv_pid/children" 2>/dev/null || true)
    if [ -n "$kid" ]; then
        kill -TERM "$kid" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do
            [ "$(awk '{print $3}' "/proc/$srv_pid/stat" 2>/dev/null || echo Z)" = Z ] && break
            sleep 0.05
        done
    fi
    stop_server "$s"
    [ -n "$total" ] && [ -s "$st" ] || continue
    printf 'sys\t%s\t1\techoes\t%s\n' "$s" "$total" >>"$tsv"
    # "% time seconds usecs/call calls [errors] syscall": calls is field 4.
    awk -v s="$s" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
        printf "sys\t%s\t1\tcall:%s\t%s\n", s, $NF, $4 }' "$st" >>"$tsv"
done

# ---------------------------------------------------------------- idle RSS
for s in "${servers[@]}"; do
    log "$s: peak RSS with $rss_conns idle connections"
    start_server "$s" || continue
    sleep 0.2
    base_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$srv_pid/status")
    hold_out=$(mktemp -u "$out/echo-fifo.XXXXXX")
    hold_in=$(mktemp -u "$out/echo-fifo.XXXXXX")
    mkfifo "$hold_out" "$hold_in"
    load "$port" "$rss_conns" 60 1 <"$hold_in" >"$hold_out" 2>>"$out/echo-load.err" &
    hold_pid=$!
    exec {hin}>"$hold_in" {hout}<"$hold_out"
    rm -f "$hold_in" "$hold_out"
    ready=
    read -r -t 120 -u "$hout" ready n || true
    if [ "$ready" = ready ]; then
        sleep 0.2
        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$srv_pid/status")
        printf 'rss\t%s\t1\tbase_kib\t%s\n' "$s" "$base_kib" >>"$tsv"
        printf 'rss\t%s\t1\thwm_kib\t%s\n' "$s" "$hwm" >>"$tsv"
    else
        event "$s: $rss_conns idle connections failed: $(tail -1 "$out/echo-load.err")"
    fi
    exec {hin}>&- {hout}<&-
    wait "$hold_pid" 2>/dev/null || true
    stop_server "$s"
done
log "measurements took $(( $(date +%s) - start )) s"
for s in "${servers[@]}"; do
    if [ -s "$out/echo-$s.err" ]; then
        event "$s: server stderr ($(wc -l <"$out/echo-$s.err") lines), first: $(head -1 "$out/echo-$s.err")"
    fi
done

# ---------------------------------------------------------------- report
cmd="bench/echo.sh"
for arg in "${orig_args[@]}"; do cmd+=" $arg"; done
[ -n "${OXEVENT_PREFIX:-}" ] && cmd="OXEVENT_PREFIX=$OXEVENT_PREFIX $cmd"
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1)

TSV=$tsv EVENTS=$events WRITE=$write CMD=$cmd ROUNDS=$rounds SECS=$secs RSS_CONNS=$rss_conns \
PIN=$pin NOFILE=$nofile NPROC=$(nproc) CPU="$cpu" KERNEL=$(uname -r) \
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)" DATE=$(date -u '+%Y-%m-%d %H:%M UTC') \
MD=$repo/BENCHMARKS.md python3 - <<'PY'
import os, statistics, collections

E = os.environ
data = collections.defaultdict(dict)   # (kind, server, key) -> {round: value}
for line in open(E["TSV"]):
    kind, srv, rnd, key, val = line.rstrip("\n").split("\t")
    data[(kind, srv, key)][rnd] = float(val)
servers = ["debian", "ours", "rust", "epoll"]
names = {"debian": "debian (C)", "ours": "ours (C)", "rust": "Rust API", "epoll": "raw epoll"}

def med(kind, s, key):
    v = list(data.get((kind, s, key), {}).values())
    return statistics.median(v) if v else None

def ratio(kind, a, b, key="rate"):
    x, y = data.get((kind, a, key), {}), data.get((kind, b, key), {})
    r = [x[k] / y[k] for k in x if k in y and y[k]]
    return statistics.median(r) if r else None

def fmt(v, d=0):
    return "—" if v is None else f"{v:,.{d}f}"

lines = [
    "| echoes/s (median) | debian (C) | ours (C) | Rust API | raw epoll | ours/debian | rust/debian "
    "| debian/epoll | ours/epoll | rust/epoll |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for c in ("50", "1000"):
    k = "tput" + c
    lines.append("| 64 B ping-pong, {} connections | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        c, *[fmt(med(k, s, "rate")) for s in servers],
        fmt(ratio(k, "ours", "debian"), 2), fmt(ratio(k, "rust", "debian"), 2),
        *[fmt(ratio(k, s, "epoll"), 2) for s in ("debian", "ours", "rust")]))
for c in ("50", "1000"):
    k = "tput" + c
    lines.append("| server CPU µs per echo, {} connections | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        c, *[fmt(med(k, s, "cpu_us"), 2) for s in servers],
        fmt(ratio(k, "ours", "debian", "cpu_us"), 2), fmt(ratio(k, "rust", "debian", "cpu_us"), 2),
        *[fmt(ratio(k, s, "epoll", "cpu_us"), 2) for s in ("debian", "ours", "rust")]))

def per_echo(s):
    echoes = med("sys", s, "echoes")
    calls = {key[5:]: v["1"] for (kind, srv, key), v in data.items()
             if kind == "sys" and srv == s and key.startswith("call:")}
    if not echoes or not calls:
        return None, []
    top = sorted(calls.items(), key=lambda kv: -kv[1])
    return sum(calls.values()) / echoes, [(n, c / echoes) for n, c in top]

lines += ["", "| per server | debian (C) | ours (C) | Rust API | raw epoll |", "|---|---:|---:|---:|---:|"]
pe = {s: per_echo(s) for s in servers}
lines.append("| syscalls per echo (strace -f -c, 50 connections) | " +
             " | ".join(fmt(pe[s][0], 2) for s in servers) + " |")
lines.append("| of which (per echo) | " + " | ".join(
    ", ".join(f"{n} {v:.2f}" for n, v in pe[s][1] if v >= 0.01) or "—" for s in servers) + " |")
rss = {s: (med("rss", s, "hwm_kib"), med("rss", s, "base_kib")) for s in servers}
n_idle = int(E["RSS_CONNS"])
lines.append(f"| peak RSS with {n_idle:,} idle connections (VmHWM, KiB) | " +
             " | ".join(fmt(rss[s][0]) for s in servers) + " |")
lines.append("| the same above the server's RSS at start, bytes per connection | " + " | ".join(
    fmt((rss[s][0] - rss[s][1]) * 1024 / n_idle if rss[s][0] and rss[s][1] else None)
    for s in servers) + " |")

def tgt(ok):
    return "—" if ok is None else ("met" if ok else "**not met**")
r50, r1k = ratio("tput50", "ours", "debian"), ratio("tput1000", "ours", "debian")
sys_o = pe["ours"][0]
rss_o, rss_d = rss["ours"][0], rss["debian"][0]
events = [l.strip() for l in open(E["EVENTS"]) if l.strip()]
pin = "server on CPU 0, load generator on CPU 1" if E["PIN"] == "1" else "unpinned"
notes = [
    f"- {E['ROUNDS']} rounds of {E['SECS']} s (after a 0.5 s warm-up) per server and connection count; "
    "each round runs the four servers in a rotated order under the same load generator "
    f"(bench/c/echo_load.c, raw epoll, its own process, {pin}). Cells are medians over rounds; ratios "
    "are medians of the per-round ratios (echoes/s: > 1 is faster than the denominator; CPU: < 1 is cheaper).",
    "- Server CPU per echo: the server's user + system time (/proc/PID/stat, 10 ms ticks) over every echo "
    "of the run, warm-up included. The load generator shares the two cores with the server (and with "
    "other jobs on this machine), so echoes/s measures the pair; the CPU per echo is the server's own cost.",
    "- Syscalls per echo: every call strace counted in the server process (startup and the 50 accepts "
    "included) over the echoes the load generator received during that run; strace slows the server, so "
    "that run counts calls only.",
    f"- Idle RSS: the load generator opens {n_idle:,} connections, sending one message on each right after "
    "its connect, waits for every echo and holds them; VmHWM of the server then (equal to VmRSS here; "
    f"RLIMIT_NOFILE {E['NOFILE']}). Sent in one burst after all the connects instead, libevent's peak grows "
    "to 19–22 MB (its echoes wait in output buffers until the write events run); ours was 27 MB there before the idle-memory work of 2026-12-05, not measured since.",
    "- Issue 10 targets: ours ≥ 1.3× libevent's echoes/s: {} (50 connections {}, 1000 connections {}); "
    "≤ 2.2 syscalls per echo: {} ({}); idle RSS ≤ libevent's: {} ({} vs {} KiB).".format(
        tgt(None if r50 is None or r1k is None else (r50 >= 1.3 and r1k >= 1.3)),
        fmt(r50, 2), fmt(r1k, 2), tgt(None if sys_o is None else sys_o <= 2.2), fmt(sys_o, 2),
        tgt(None if rss_o is None or rss_d is None else rss_o <= rss_d), fmt(rss_o), fmt(rss_d)),
    "- Failures in this run: " + ("; ".join(events) if events else "none (no crash, no connection error, "
                                  "no stall, nothing on any server's stderr)") + ".",
]
table = "\n".join(lines)
print(table)
print()
print("\n".join(notes))

if E["WRITE"] == "1":
    begin, end = "<!-- echo:begin -->", "<!-- echo:end -->"
    cmd = E["CMD"] if "--write" in E["CMD"] else E["CMD"] + " --write"
    section = "\n".join([
        begin,
        "## Echo server (issue 10)",
        "",
        "One C echo server (bench/c/echo_server.c: evconnlistener + a socket bufferevent per connection, "
        "built once against Debian's headers) on Debian's libevent 2.1.12 and on oxevent, the same server "
        "on oxevent's Rust API (bench/src/bin/echo_rust.rs) and on raw epoll (bench/c/echo_epoll.c, the floor). "
        "Regenerate from the repository root:",
        "",
        "```sh",
        "bash " + cmd,
        "```",
        "",
        f"Measured {E['DATE']} on {E['NPROC']} CPUs ({E['CPU']}), Linux {E['KERNEL']}; "
        f"load average at the end {E['LOADAVG']} (the cores are shared with other jobs).",
        "",
        table,
        "",
        *notes,
        end,
    ])
    path = E["MD"]
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if begin in text and end in text:
        a, b = text.index(begin), text.index(end) + len(end)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    open(path, "w").write(text)
    print(f"wrote {path}")
PY
