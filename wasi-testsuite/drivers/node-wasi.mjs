// Runs a wasi_snapshot_preview1 command under Node.js `node:wasi`.
// usage: node node-wasi.mjs [--dir HOST::GUEST]... [--env K=V]... -- FILE.wasm [ARGS]...
// Exit status: the guest's exit code; 70 for a driver or instantiation error.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, exit, stderr } from 'node:process';

const preopens = {};
const env = {};
let i = 2;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { i++; break; }
  if (a === '--dir') {
    const v = argv[++i];
    const at = v.indexOf('::');
    const host = at < 0 ? v : v.slice(0, at);
    const guest = at < 0 ? v : v.slice(at + 2);
    preopens[guest] = host;
  } else if (a === '--env') {
    const v = argv[++i];
    const eq = v.indexOf('=');
    env[v.slice(0, eq)] = v.slice(eq + 1);
  } else {
    break;
  }
}
const file = argv[i];
const args = argv.slice(i);
if (!file) {
  stderr.write('node-wasi: no module given\n');
  exit(70);
}
try {
  const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  exit(code ?? 0);
} catch (e) {
  stderr.write(`node-wasi: ${e && e.stack ? e.stack : e}\n`);
  exit(70);
}
