#!/usr/bin/env bash
# Regenerates the status tables of README.md and BENCHMARKS.md from the tool's
# own output. Each table sits between <!-- BEGIN name --> and <!-- END name -->.
#   scripts/update-docs.sh            spec tables (seconds)
#   scripts/update-docs.sh --bench    also the benchmark table (minutes)
#   scripts/update-docs.sh --wasmtime also the component-model table of
#                                     wasmtime (a heavy build: feature wasmtime)
#   scripts/update-docs.sh --wasi-fuzz also the WASI fuzzer's throughput
#                                     (also part of --bench)
#   scripts/update-docs.sh --runtimes also the vendor matrix (installs the
#                                     runtimes, runs every suite on each: long)
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE="${WASM_CONFORM_SPEC_SUITE:-../shared/spec-testsuite}"
# The component model's checkout: its reference tests and wasm-tools' tests.
CM="${WASM_CONFORM_COMPONENT_MODEL:-../shared/component-model}"
BENCH="${WASM_CONFORM_BENCH:-../shared/bench}"
cargo build --release --quiet
WC=target/release/wasm-conform
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# splice FILE NAME CONTENT_FILE: replace the block between the markers.
splice() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys, re
path, name, content = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(path).read()
begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
if not pattern.search(text):
    sys.exit(f"{path}: no {begin} ... {end} block")
text = pattern.sub(lambda _: f"{begin}\n{content.rstrip()}\n{end}", text)
open(path, "w").write(text)
PY
}

# The Canonical ABI against definitions.py (closing line of `fuzz --abi`:
# `abi: N cases, X cases/s, D differences`; coverage on stderr). Part of
# --bench; `scripts/update-docs.sh --abi` regenerates only this table.
abi_oracle() {
  ABI_DEFS="${WASM_CONFORM_COMPONENT_MODEL:-../shared/component-model}/design/mvp/canonical-abi"
  "$WC" fuzz --abi --execs 100000 --seed 0 --abi-defs "$ABI_DEFS" --out "$tmp/abi" \
    > "$tmp/abi.txt" 2> "$tmp/abi-err.txt" || true
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end)."; echo
    echo "| cases | cases/s | differences |"; echo "|---:|---:|---:|"
    sed -nE 's/^abi: ([0-9]+) cases, ([0-9]+) cases\/s, ([0-9]+) differences$/| \1 | \2 | \3 |/p' "$tmp/abi.txt"
    echo; grep '^abi coverage:' "$tmp/abi-err.txt" | sed 's/^abi coverage: /Coverage: /' || echo "(no coverage line: $(tail -n 1 "$tmp/abi-err.txt"))"
  } > "$tmp/abi.md"
  splice BENCHMARKS.md abi-oracle "$tmp/abi.md"
}
if [ "${1:-}" = "--abi" ]; then
  abi_oracle
  echo "updated BENCHMARKS.md (abi-oracle)"
  exit 0
fi

# Plain reference-vm runs each file with the preset its suite is written for
# (3.0 for test/, the proposal's own for proposals/NAME).
run_spec() { # NAME ENGINE SUITE...
  local name=$1 engine=$2; shift 2
  local args=()
  for s in "$@"; do args+=(--suite "$s"); done
  # The tool exits 1 when something unexpected happened; the table is still true.
  "$WC" spec --engine "$engine" "${args[@]}" > "$tmp/$name.txt" 2>/dev/null || true
  { echo "\`wasm-conform spec --engine $engine\`: $(head -n 1 "$tmp/$name.txt")"; echo; grep '^|' "$tmp/$name.txt"; } > "$tmp/$name.md"
  head -n 1 "$tmp/$name.txt" | sed 's/^/- /' >> "$tmp/spec-times.md"
}
: > "$tmp/spec-times.md"
run_spec reference-vm reference-vm "$SUITE"
splice README.md spec-reference-vm "$tmp/reference-vm.md"
run_spec wasmi wasmi "$SUITE"
splice README.md spec-wasmi "$tmp/wasmi.md"
# The component model: one row per folder of its reference tests and of
# wasm-tools' component tests (ids component-model/test/..., .../wasm-tools-tests/...).
run_spec components-reference-vm reference-vm "$CM/test" "$CM/wasm-tools-tests"
splice README.md spec-components-reference-vm "$tmp/components-reference-vm.md"
splice BENCHMARKS.md spec-times "$tmp/spec-times.md"

if [ "${1:-}" = "--wasmtime" ]; then
  cargo build --release --quiet --features wasmtime
  run_spec components-wasmtime wasmtime "$CM/test" "$CM/wasm-tools-tests"
  splice README.md spec-components-wasmtime "$tmp/components-wasmtime.md"
  cargo build --release --quiet
fi

# The WASI differential fuzzer (`fuzz --wasi`): programs per second of the
# reference VM over the host file system against its in-memory one (release
# build, one worker, seed 0, 30 s).
wasi_fuzz() {
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the start)."; echo
    echo "| hosts | programs | programs/s | divergences | triaged (known) | inconclusive |"; echo "|---|---:|---:|---:|---:|---:|"
    out=$("$WC" fuzz --wasi --engines reference-vm,reference-vm-memfs --seed 0 --time 30 --reduce-attempts 0 --out "$tmp/wasi-fuzz" 2>/dev/null || true)
    line=$(echo "$out" | grep '^fuzz:' | tail -n 1)
    execs=$(echo "$line" | sed -E 's/^fuzz: ([0-9]+) execs.*/\1/')
    rate=$(echo "$line" | sed -E 's/.* ([0-9]+) exec\/s.*/\1/')
    div=$(echo "$line" | sed -E 's/.* ([0-9]+) divergences.*/\1/')
    inc=$(echo "$line" | sed -E 's/.* ([0-9]+) inconclusive.*/\1/')
    known=$( (echo "$out" | grep '^known findings' || true) | sed 's/.*: //' | tr ',' '\n' | awk '{s+=$NF} END {print s+0}')
    echo "| reference-vm vs reference-vm-memfs | $execs | $rate | $div | $known | $inc |"; } > "$tmp/wasi-fuzz.md"
  splice BENCHMARKS.md wasi-fuzz "$tmp/wasi-fuzz.md"
}
if [ "${1:-}" = "--wasi-fuzz" ]; then
  wasi_fuzz
fi

if [ "${1:-}" = "--bench" ]; then
  wasi_fuzz
  "$WC" bench --rounds 5 "$BENCH"/*-nowasi.wasm "$BENCH/fibrec.wasm" "$BENCH/dispatch.wasm" \
    2>/dev/null > "$tmp/bench.md"
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores: median of 5 alternating rounds per engine."; echo; cat "$tmp/bench.md"; } > "$tmp/bench-full.md"
  splice BENCHMARKS.md bench "$tmp/bench-full.md"
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the start)."; echo
    echo "| engines | execs | exec/s | divergences | known-fault cases |"; echo "|---|---:|---:|---:|---:|"
    for pair in reference-vm@latest,wasmi wasmi,wasmi reference-vm@latest,reference-vm@latest; do
      out=$("$WC" fuzz --engines "$pair" --seed 0 --time 30 --out "$tmp/fuzz" 2>/dev/null || true)
      line=$(echo "$out" | grep '^fuzz:' | tail -n 1)
      execs=$(echo "$line" | sed -E 's/^fuzz: ([0-9]+) execs.*/\1/')
      rate=$(echo "$line" | sed -E 's/.* ([0-9]+) exec\/s.*/\1/')
      div=$(echo "$line" | sed -E 's/.* ([0-9]+) divergences.*/\1/')
      known=$( (echo "$out" | grep '^known faults' || true) | sed 's/.*: //' | tr ',' '\n' | awk '{s+=$NF} END {print s+0}')
      echo "| ${pair/,/ vs } | $execs | $rate | $div | $known |"
    done; } > "$tmp/fuzz.md"
  splice BENCHMARKS.md fuzz "$tmp/fuzz.md"
  abi_oracle
fi
if [ "${1:-}" = "--runtimes" ]; then
  # The vendor matrix: the pinned runtimes (scripts/install-runtimes.sh, a
  # route that fails leaves its row "not installed"), then every suite on
  # each; runtimes.md is the table, written by the tool.
  scripts/install-runtimes.sh || true
  "$WC" report --matrix --engines all --spec-suite "$SUITE" \
    --wasi-suite "${WASM_CONFORM_WASI_SUITE:-../shared/wasi-testsuite/tests}" \
    --out target/matrix --timeout 20 > "$tmp/matrix.txt" 2>&1 || true
  { echo "Measured $(date -u +%Y-%m-%d) by \`wasm-conform report --matrix --engines all\` (\`scripts/update-docs.sh --runtimes\`)."; echo
    cat target/matrix/runtimes.md; } > "$tmp/runtimes.md"
  splice README.md runtimes "$tmp/runtimes.md"
fi
echo "updated README.md and BENCHMARKS.md"
