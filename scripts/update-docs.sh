#!/usr/bin/env bash
# Regenerates the status tables of README.md and BENCHMARKS.md from the tool's
# own output. Each table sits between <!-- BEGIN name --> and <!-- END name -->.
#   scripts/update-docs.sh            spec tables (seconds)
#   scripts/update-docs.sh --bench    also the benchmark table (minutes)
#   scripts/update-docs.sh --speed    only the interpreter-speed table (the
#                                     `bench` table of BENCHMARKS.md, from a
#                                     `bench-lto` build; part of --bench)
#   scripts/update-docs.sh --startup  only the start-up table of BENCHMARKS.md
#                                     (the largest modules and components at hand)
#   scripts/update-docs.sh --wasmtime also the component-model table of
#                                     wasmtime (a heavy build: feature wasmtime)
#   scripts/update-docs.sh --fuzz     only the fuzz throughput tables and the
#                                     coverage table of docs/fuzzing.md
#   scripts/update-docs.sh --libfuzzer only the libFuzzer target's rate against
#                                     the stable loop's (docs/fuzzing.md;
#                                     builds the fuzz target: nightly, long)
#   scripts/update-docs.sh --wasi-fuzz also the WASI fuzzer's throughput
#                                     (also part of --bench)
#   scripts/update-docs.sh --runtimes only the vendor matrix (installs the
#                                     runtimes, runs every suite on each: long)
#   scripts/update-docs.sh --runtimes-render  only redraws it from target/matrix
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE="${WASM_CONFORM_SPEC_SUITE:-../shared/spec-testsuite}"
# The component model's checkout: its reference tests and wasm-tools' tests.
CM="${WASM_CONFORM_COMPONENT_MODEL:-../shared/component-model}"
BENCH="${WASM_CONFORM_BENCH:-../shared/bench}"
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

# The interpreter-speed table: reference-vm against wasmi, both built with
# the `bench-lto` profile (whole-program LTO, one codegen unit: wasmi as its
# command-line tool ships). Part of --bench; --speed regenerates only this.
speed_table() {
  cargo build --profile bench-lto --quiet
  target/bench-lto/wasm-conform bench --rounds 5 "$BENCH"/*-nowasi.wasm "$BENCH/fibrec.wasm" "$BENCH/dispatch.wasm" \
    2>/dev/null > "$tmp/bench.md"
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end), \`bench-lto\` build: median of 5 alternating rounds per engine."; echo; cat "$tmp/bench.md"; } > "$tmp/bench-full.md"
  splice BENCHMARKS.md bench "$tmp/bench-full.md"
}
# The start-up table: decode, validate and instantiate the largest core
# modules and components of the WASI test suite, and what translating every
# function would add (reference-vm/examples/startup.rs; translation happens
# on a function's first call). --startup regenerates only this.
WASI_SUITE="${WASM_CONFORM_WASI_SUITE:-../shared/wasi-testsuite}"
startup_table() {
  cargo build --release --quiet -p reference-vm --example startup
  # The three largest core modules and the three largest components.
  mapfile -t programs < <(python3 - "$WASI_SUITE" <<'PY'
import os, sys
found = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".wasm"):
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                layer = fh.read(8)[4:8]
            found.append((os.path.getsize(p), layer == b"\x01\0\0\0", p))
found.sort(key=lambda t: (-t[0], t[2]))
print("\n".join([p for _, core, p in found if core][:3] + [p for _, core, p in found if not core][:3]))
PY
)
  if [ "${#programs[@]}" -eq 0 ]; then
    echo "error: no .wasm files under $WASI_SUITE (set WASM_CONFORM_WASI_SUITE)" >&2
    exit 1
  fi
  target/release/examples/startup --rounds 11 "${programs[@]}" > "$tmp/startup.md"
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end), release build, median of 11 rounds."; echo; cat "$tmp/startup.md"; } > "$tmp/startup-full.md"
  splice BENCHMARKS.md startup "$tmp/startup-full.md"
}
if [ "${1:-}" = "--startup" ]; then
  startup_table
  echo "updated BENCHMARKS.md (startup)"
  exit 0
fi

# --speed: only this table (no release build, no README tables).
if [ "${1:-}" = "--speed" ]; then
  speed_table
  echo "updated BENCHMARKS.md (bench)"
  exit 0
fi

cargo build --release --quiet

# The vendor matrix: the pinned runtimes (scripts/install-runtimes.sh, a
# route that fails leaves its row "not installed"), then every suite on each;
# runtimes.md is the table, written by the tool. Only this table changes.
#   --runtimes         install, run the matrix, write the table (long)
#   --runtimes-render  redraw the dashboard and the table from the Results
#                      JSON of the last matrix run (target/matrix), seconds
MATRIX=target/matrix
runtimes_table() {
  # The date of the measurement: the oldest results document of the run.
  local first
  first=$(ls -tr "$MATRIX"/*.json | head -n 1)
  { echo "Measured $(date -u -r "$first" +%Y-%m-%d) on this machine by \`wasm-conform report --matrix --engines all\` (\`scripts/update-docs.sh --runtimes\`; \`--runtimes-render\` redraws it from the saved results)."; echo
    cat "$MATRIX/runtimes.md"; } > "$tmp/runtimes.md"
  splice README.md runtimes "$tmp/runtimes.md"
  echo "updated README.md (runtimes); dashboard: $MATRIX/index.html"
}
if [ "${1:-}" = "--runtimes" ]; then
  scripts/install-runtimes.sh || true
  rm -rf "$MATRIX" && mkdir -p "$MATRIX"
  # The tool exits 1 when something unexpected happened; the table is still true.
  nice "$WC" report --matrix --engines all --spec-suite "$SUITE" \
    --wasi-suite "${WASM_CONFORM_WASI_SUITE:-../shared/wasi-testsuite/tests}" \
    --out "$MATRIX" --timeout 20 > "$MATRIX/matrix.log" 2>&1 || true
  grep '^UNEXPECTED' "$MATRIX/matrix.log" >&2 || true
  runtimes_table
  exit 0
fi
if [ "${1:-}" = "--runtimes-render" ]; then
  "$WC" report render --out "$MATRIX" --junit file "$MATRIX" > /dev/null
  runtimes_table
  exit 0
fi

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

# Fuzz throughput per engine pair (closing line of `wasm-conform fuzz`),
# with the rate as a ratio to wasmi vs wasmi in the same run, the cost of
# --coverage, and the coverage gaps of docs/fuzzing.md. Part of --bench;
# `scripts/update-docs.sh --fuzz` regenerates only these.
fuzz_tables() {
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the start), generator with operand shaping (engines/src/oracle/shape.rs)."; echo
    echo "| engines | execs | exec/s | ratio to wasmi vs wasmi | divergences | known-fault cases |"; echo "|---|---:|---:|---:|---:|---:|"
    rates=(); lines=()
    for pair in reference-vm@latest,wasmi wasmi,wasmi reference-vm@latest,reference-vm@latest "reference-vm@latest,wasmi --coverage $tmp/cov-bench.json"; do
      # shellcheck disable=SC2086
      out=$("$WC" fuzz --engines $pair --seed 0 --time 30 --out "$tmp/fuzz" 2>/dev/null || true)
      line=$(echo "$out" | grep '^fuzz:' | tail -n 1)
      execs=$(echo "$line" | sed -E 's/^fuzz: ([0-9]+) execs.*/\1/')
      rate=$(echo "$line" | sed -E 's/.* ([0-9]+) exec\/s.*/\1/')
      div=$(echo "$line" | sed -E 's/.* ([0-9]+) divergences.*/\1/')
      known=$( (echo "$out" | grep '^known faults' || true) | sed 's/.*: //' | tr ',' '\n' | awk '{s+=$NF} END {print s+0}')
      name=$(echo "$pair" | sed -E 's/,/ vs /; s/ --coverage .*/ (--coverage)/')
      rates+=("$rate"); lines+=("$name|$execs|$rate|$div|$known")
    done
    base=${rates[1]}
    for l in "${lines[@]}"; do
      IFS='|' read -r name execs rate div known <<< "$l"
      ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
      echo "| $name | $execs | $rate | $ratio | $div | $known |"
    done
    # The generator before operand shaping, from the frozen table below
    # (BENCHMARKS.md, fuzz-before-shaping): its ratio, for comparison.
    old=$(sed -n '/<!-- BEGIN fuzz-before-shaping -->/,/<!-- END fuzz-before-shaping -->/p' BENCHMARKS.md)
    old_date=$(echo "$old" | sed -nE 's/^Measured ([0-9-]+) .*/\1/p')
    old_rv=$(echo "$old" | awk -F'|' '$2 ~ /reference-vm@latest vs wasmi/ { gsub(/ /, "", $4); print $4 }')
    old_wi=$(echo "$old" | awk -F'|' '$2 ~ /wasmi vs wasmi/ { gsub(/ /, "", $4); print $4 }')
    if [ -n "$old_rv" ] && [ -n "$old_wi" ]; then
      echo; awk -v rv="${rates[0]}" -v wi="$base" -v orv="$old_rv" -v owi="$old_wi" -v d="$old_date" 'BEGIN { printf "reference-vm@latest vs wasmi, as a ratio to wasmi vs wasmi in the same run: %.2f with this generator (%d / %d exec/s), %.2f with the generator before operand shaping (%d / %d exec/s, measured %s, table below).\n", rv / wi, rv, wi, orv / owi, orv, owi, d }'
    fi
    # The cost of --coverage in CPU time (robust to other load on the
    # machine, unlike the rates above): the same 10,000 inputs with and
    # without it, 3 alternating rounds, medians.
    offs=(); ons=()
    for _ in 1 2 3; do
      /usr/bin/time -f %U -o "$tmp/t" "$WC" fuzz --engines reference-vm@latest,wasmi --seed 0 --execs 10000 --time 600 --out "$tmp/fuzz" >/dev/null 2>&1 || true
      offs+=("$(tail -n 1 "$tmp/t")")
      /usr/bin/time -f %U -o "$tmp/t" "$WC" fuzz --engines reference-vm@latest,wasmi --seed 0 --execs 10000 --time 600 --coverage "$tmp/cov-cost.json" --out "$tmp/fuzz" >/dev/null 2>&1 || true
      ons+=("$(tail -n 1 "$tmp/t")")
    done
    off=$(printf '%s\n' "${offs[@]}" | sort -n | sed -n 2p); on=$(printf '%s\n' "${ons[@]}" | sort -n | sed -n 2p)
    echo; awk -v on="$on" -v off="$off" 'BEGIN { if (off > 0) printf "Cost of `--coverage` (reference-vm@latest vs wasmi, seed 0, the same 10,000 inputs, median user CPU time of 3 alternating rounds): %.2f s without, %.2f s with, %+.1f%% (budget: 5%%). Without `--coverage` the interpreter runs a separate copy of its loop with no counting code. The rates of the table are wall-clock figures of single 30 s runs and move with the load of the machine.\n", off, on, (on - off) * 100 / off }'
  } > "$tmp/fuzz.md"
  splice BENCHMARKS.md fuzz "$tmp/fuzz.md"
  # The coverage gaps: 120 s of reference-vm@latest vs wasmi, seed 5, 2 jobs.
  "$WC" fuzz --engines reference-vm@latest,wasmi --seed 5 --time 120 --jobs 2 --out "$tmp/fuzz-cov" \
    --coverage "$tmp/cov.json" --coverage-md "$tmp/cov-table.md" > "$tmp/cov.txt" 2>/dev/null || true
  { echo "Generated $(date -u +%Y-%m-%d) by \`wasm-conform fuzz --engines reference-vm@latest,wasmi --seed 5 --time 120 --jobs 2 --coverage cov.json --coverage-md FILE\` (\`scripts/update-docs.sh --fuzz\`): $(grep '^fuzz:' "$tmp/cov.txt" | tail -n 1)."; echo
    cat "$tmp/cov-table.md"; } > "$tmp/cov.md"
  splice docs/fuzzing.md coverage "$tmp/cov.md"
}
if [ "${1:-}" = "--fuzz" ]; then
  fuzz_tables
  echo "updated BENCHMARKS.md (fuzz) and docs/fuzzing.md (coverage)"
  exit 0
fi

# The libFuzzer target against the stable loop, in the same time window:
# `wasm-conform fuzz` (reference-vm@latest vs wasmi, seed 0, 30 s, one
# worker), then `cargo +nightly fuzz run differential -- -max_total_time=60`
# (default AddressSanitizer) on a copy of the seed corpus, then the stable
# loop again; the libFuzzer rate counts from the end of the corpus load
# (libFuzzer's INITED line) to the end, the stable rate is the mean of the
# two runs around it. Writes the libfuzzer block of docs/fuzzing.md.
libfuzzer_rate() {
  (cd fuzz && cargo +nightly fuzz build differential >/dev/null 2>&1) || { echo "error: cargo +nightly fuzz build differential failed" >&2; exit 1; }
  stable_rate() {
    "$WC" fuzz --engines reference-vm@latest,wasmi --seed 0 --time 30 --out "$tmp/fuzz" 2>/dev/null | grep '^fuzz:' | tail -n 1 | sed -E 's/.* ([0-9]+) exec\/s.*/\1/'
  }
  load0=$(cut -d' ' -f1 /proc/loadavg)
  s1=$(stable_rate)
  rm -rf "$tmp/corpus" && cp -r fuzz/corpus/differential "$tmp/corpus"
  lf=$(cd fuzz && python3 - "$tmp/corpus" <<'PY'
import re, subprocess, sys, time
# Timestamps libFuzzer's status lines: the rate after the corpus load.
cmd = ["cargo", "+nightly", "fuzz", "run", "differential", sys.argv[1], "--", "-max_total_time=60"]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, errors="replace")
inited = last = None
for line in p.stderr:
    t = time.monotonic() - t0
    m = re.match(r"#(\d+)\s+(\w+)", line)
    if m:
        last = (t, int(m.group(1)), line)
        if m.group(2) == "INITED":
            inited = (t, int(m.group(1)))
p.wait()
if not inited or not last or last[0] <= inited[0]:
    sys.exit("libFuzzer printed no INITED or status line")
rate = (last[1] - inited[1]) / (last[0] - inited[0])
cov = re.search(r"cov: (\d+) ft: (\d+)", last[2])
rss = re.search(r"rss: (\d+)Mb", last[2])
print(f"{last[1]} {last[0]:.0f} {inited[1]} {inited[0]:.0f} {rate:.0f} {cov.group(1) if cov else '?'} {cov.group(2) if cov else '?'} {rss.group(1) if rss else '?'}")
PY
  ) || { echo "error: the libFuzzer run failed" >&2; exit 1; }
  s2=$(stable_rate)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  read -r runs secs inited init_secs lrate cov ft rss <<< "$lf"
  { echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $load0 before, $load1 after) by \`scripts/update-docs.sh --libfuzzer\`, cargo-fuzz $(cargo fuzz --version 2>/dev/null | awk '{print $2}'), $(rustc +nightly --version | cut -d' ' -f1-2):"; echo
    echo "| loop | inputs/s | how |"; echo "|---|---:|---|"
    echo "| \`cargo +nightly fuzz run differential -- -max_total_time=60\` (AddressSanitizer) | $lrate | after the $(ls fuzz/corpus/differential | wc -l)-file seed corpus loaded (${init_secs} s, build checked included): $((runs - inited)) inputs in $((secs - init_secs)) s; cov $cov, ft $ft, RSS $rss MB at the end |"
    echo "| \`wasm-conform fuzz --engines reference-vm@latest,wasmi --seed 0 --time 30\` (release, one worker) | $(( (s1 + s2) / 2 )) | mean of a run just before ($s1) and just after ($s2) |"
    echo; awk -v l="$lrate" -v s1="$s1" -v s2="$s2" 'BEGIN { printf "The libFuzzer target runs 1/%.1f of the stable loop'"'"'s rate.\n", (s1 + s2) / 2 / (l > 0 ? l : 1) }'
  } > "$tmp/libfuzzer.md"
  splice docs/fuzzing.md libfuzzer "$tmp/libfuzzer.md"
}
if [ "${1:-}" = "--libfuzzer" ]; then
  libfuzzer_rate
  echo "updated docs/fuzzing.md (libfuzzer)"
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
  speed_table
  startup_table
  fuzz_tables
  abi_oracle
fi
echo "updated README.md and BENCHMARKS.md"
