#!/usr/bin/env bash
# Runs each fuzz target for a number of executions (default 10 million) and
# prints the counts libFuzzer reports. Not part of CI: needs nightly and
# cargo-fuzz (`cargo install cargo-fuzz`).
# Usage: fuzz/run.sh [RUNS] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(buffer_ops readln search c_buffer dns_packet resolv_conf)
cd "$here/.."
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    echo "== $t: $runs runs"
    cargo +nightly fuzz run -s none "$t" -- -runs="$runs" -max_len=1024 -print_final_stats=1 2>&1 |
        tee "fuzz/artifacts/$t/last-run.log" | grep -E "^(Done|stat::number_of_executed_units|==[0-9]+== ERROR|SUMMARY)" || true
done
