#!/usr/bin/env bash
# Runs a WASI command on jco (the JavaScript component toolchain, on Node):
# a component as it is, a wasip1 core module after `jco new --wasi-command`
# (jco's own preview1 adapter). Preopens and the environment are set through
# preview2-shim before the program starts (a --jco-import module).
#
#   jco-run.sh [--dir GUEST:HOST]... [--env K=V]... MODULE.wasm [ARGS...]
#   exit status: the guest's; 125 when jco cannot adapt the module
set -u
here=$(dirname "$(readlink -f "$0")")
RT="${WASM_CONFORM_RUNTIMES:-$here/../../target/runtimes}"
JCO="$RT/jco/node_modules/.bin/jco"
# The preview2-shim that `jco run` links the program to: jco's own copy.
SHIM="$RT/jco/node_modules/@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim/dist/nodejs"
[ -d "$SHIM" ] || SHIM="$RT/jco/node_modules/@bytecodealliance/preview2-shim/dist/nodejs"
dirs=(); envs=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dirs+=("$2"); shift 2;;
    --env) envs+=("$2"); shift 2;;
    *) break;;
  esac
done
wasm=$1; shift
# Inside the jco folder, so that the generated code finds its shims in node_modules.
tmp=$(mktemp -d -p "$RT/jco"); trap 'rm -rf "$tmp"' EXIT
# A component's header is \0asm 0d 00 01 00; a core module's \0asm 01 00 00 00.
if [ "$(head -c 8 "$wasm" | od -An -tx1 | tr -d ' \n')" = 0061736d01000000 ]; then
  "$JCO" new "$wasm" --wasi-command -o "$tmp/c.wasm" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 125; }
else
  cp "$wasm" "$tmp/c.wasm"
fi
js_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
  echo "import { _setPreopens } from $(js_str "$SHIM/filesystem.js");"
  echo "import { _setEnv } from $(js_str "$SHIM/cli.js");"
  echo "const preopens = {};"
  for d in ${dirs[@]+"${dirs[@]}"}; do
    echo "preopens[$(js_str "${d%%:*}")] = $(js_str "$(readlink -f "${d#*:}")");"
  done
  echo "_setPreopens(preopens);"
  echo "const env = {};"
  for e in ${envs[@]+"${envs[@]}"}; do
    echo "env[$(js_str "${e%%=*}")] = $(js_str "${e#*=}");"
  done
  echo "_setEnv(env);"
} > "$tmp/setup.mjs"
"$JCO" run --jco-dir "$tmp/out" --jco-import "$tmp/setup.mjs" "$tmp/c.wasm" "$@"
