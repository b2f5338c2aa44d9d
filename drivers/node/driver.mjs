#!/usr/bin/env node
// wasm-conform external-engine driver for Node.js (V8): protocol 1.
// Spec: docs/protocol.md. Plain JavaScript, no dependencies.
//
//   node [V8 flags] driver.mjs          speak the protocol on stdin/stdout
//   node driver.mjs --print-flags       print the V8 flags that enable the
//                                       proposals this Node has behind flags
//
// Values cross the JS boundary without losing bits: every call goes through
// a small generated wasm "trampoline" module that reads numeric arguments
// from memory, calls the export wasm-to-wasm, and stores numeric results back,
// so NaN payloads and v128 survive. References pass as JS values.

import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const PROTOCOL = 1;

// Proposals that V8 has behind a flag in some Node versions, and the flag.
const FEATURE_FLAGS = [
  ['gc', '--experimental-wasm-gc'],
  ['function-references', '--experimental-wasm-typed-funcref'],
  ['memory64', '--experimental-wasm-memory64'],
  ['relaxed-simd', '--experimental-wasm-relaxed-simd'],
  ['extended-const', '--experimental-wasm-extended-const'],
  ['tail-call', '--experimental-wasm-return-call'],
  ['multi-memory', '--experimental-wasm-multi-memory'],
  ['exceptions', '--experimental-wasm-exnref'],
  ['threads', '--experimental-wasm-threads'],
  ['custom-page-sizes', '--experimental-wasm-custom-page-sizes'],
  ['wide-arithmetic', '--experimental-wasm-wide-arithmetic'],
];

function printFlags() {
  let options = '';
  try {
    options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    options = '';
  }
  const flags = [];
  for (const [, flag] of FEATURE_FLAGS) {
    const name = flag.slice(2);
    // Listed, and off by default: "default: --no-NAME".
    const i = options.indexOf('--' + name + ' ');
    if (i < 0) continue;
    const tail = options.slice(i, i + 400);
    if (tail.includes('default: --no-' + name)) flags.push(flag);
  }
  process.stdout.write(flags.join(' ') + '\n');
}

if (process.argv.includes('--print-flags')) {
  printFlags();
  process.exit(0);
}

// ---------------------------------------------------------------- helpers

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function hex(big, digits) {
  return '0x' + BigInt.asUintN(digits * 4, big).toString(16).padStart(digits, '0');
}

// Trap messages of V8 and the protocol's trap kinds (the names of
// engines::TrapKind). Order matters: first match wins.
//
// V8 words some traps ambiguously; the driver then reports the kind the
// spec suite means most often, and says so in the message:
// - "null function or function signature mismatch" covers both a null
//   table entry (spec: uninitialized element) and a signature mismatch
//   (spec: indirect call type mismatch): reported as uninitialized element;
// - "float unrepresentable in integer range" covers both NaN (spec: invalid
//   conversion to integer) and out-of-range (spec: integer overflow):
//   reported as integer overflow.
const TRAPS = [
  [/unreachable/, 'unreachable'],
  [/memory access out of bounds|data segment (is )?out of bounds|data segment has been dropped/, 'memory out of bounds'],
  [/array element access out of bounds|array (access|index) (is )?out of bounds/, 'array out of bounds'],
  [/elem(ent)? segment (is )?out of bounds|element segment has been dropped|table initializer is out of bounds|table (index|access) is out of bounds|table access out of bounds|out of bounds table/, 'table out of bounds'],
  [/remainder by zero|divide by zero/, 'integer divide by zero'],
  [/divide result unrepresentable|integer overflow/, 'integer overflow'],
  [/float unrepresentable in integer range/, 'integer overflow'],
  [/null function or function signature mismatch/, 'uninitialized element'],
  [/function signature mismatch|signature mismatch/, 'indirect call type mismatch'],
  [/dereferencing a null pointer|null/, 'null reference'],
  [/illegal cast|cast/, 'cast failure'],
  [/unaligned/, 'unaligned atomic'],
];

function trapOf(e) {
  const message = String(e && e.message !== undefined ? e.message : e);
  for (const [re, kind] of TRAPS) if (re.test(message)) return { kind, message };
  return { kind: 'host error', message };
}

// An exception leaving wasm: an outcome object.
function failure(e) {
  if (typeof WebAssembly.Exception === 'function' && e instanceof WebAssembly.Exception) {
    return { exception: 'WebAssembly.Exception' };
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return { exhausted: { kind: 'call stack exhausted', message: e.message } };
  }
  if (e instanceof WebAssembly.RuntimeError) return { trap: trapOf(e) };
  if (e instanceof TypeError) {
    // JS API limits (e.g. a type JS cannot carry): not a verdict on wasm.
    return { unsupported: 'JS API: ' + e.message };
  }
  // Anything else thrown by wasm (a JS exception passing through) is an exception.
  return { exception: String(e) };
}

// ---------------------------------------------------------------- binary reader

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) { this.b = bytes; this.p = pos; this.end = end; }
  eof() { return this.p >= this.end; }
  byte() { if (this.p >= this.end) throw new Error('unexpected end'); return this.b[this.p++]; }
  u32() {
    let result = 0, shift = 0, b;
    do { b = this.byte(); result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return result;
  }
  s33() {
    let result = 0n, shift = 0n, b;
    do { b = this.byte(); result |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return result;
  }
  skipLeb() { while (this.byte() & 0x80); }
  skip(n) { this.p += n; }
  name() { const n = this.u32(); this.skip(n); return Buffer.from(this.b.subarray(this.p - n, this.p)).toString('utf8'); }
}

// A value type: { code, bytes, ref, nullKind, concrete }.
const NUM = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };
// Abstract heap types (as their one-byte codes) and the null family they belong to.
const HEAP_FAMILY = {
  0x70: 'func', 0x73: 'func', // func, nofunc
  0x6f: 'extern', 0x72: 'extern', // extern, noextern
  0x6e: 'any', 0x6d: 'any', 0x6c: 'any', 0x6b: 'any', 0x6a: 'any', 0x71: 'any', // any eq i31 struct array none
  0x69: 'exn', 0x74: 'exn', // exn, noexn
};

function readValType(r, types) {
  const start = r.p;
  const code = r.byte();
  if (NUM[code]) return { num: NUM[code], bytes: [code] };
  if (HEAP_FAMILY[code]) return { ref: true, family: HEAP_FAMILY[code], heap: code, bytes: [code] };
  if (code === 0x63 || code === 0x64) {
    const hs = r.p;
    const ht = r.s33();
    const bytes = Array.from(r.b.subarray(start, r.p));
    if (ht < 0n) {
      const c = Number(r.b[hs]);
      return { ref: true, family: HEAP_FAMILY[c] || 'unknown', heap: c, bytes };
    }
    const t = types && types[Number(ht)];
    const family = t ? (t.kind === 'func' ? 'func' : 'any') : 'unknown';
    return { ref: true, family, concrete: true, bytes };
  }
  throw new Error('unknown value type 0x' + code.toString(16));
}

function readLimits(r) {
  const flags = r.byte();
  const is64 = (flags & 4) !== 0;
  const min = is64 ? r.s33() : r.u32();
  if (flags & 1) { if (is64) r.s33(); else r.u32(); }
  if (flags & 8) r.u32();
  return { flags, min };
}

// Skips a constant expression up to and including its `end`.
function skipConstExpr(r) {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b: return;
      case 0x41: case 0x42: r.s33(); break; // i32.const, i64.const (s33 reads any LEB)
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0x23: case 0xd2: r.u32(); break; // global.get, ref.func
      case 0xd0: r.s33(); break; // ref.null ht
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // add sub mul
      case 0xfd: { const sub = r.u32(); if (sub === 12) r.skip(16); else throw new Error('simd in const expr'); break; }
      case 0xfb: {
        const sub = r.u32();
        if (sub === 0 || sub === 1 || sub === 6 || sub === 7) r.u32();
        else if (sub === 8) { r.u32(); r.u32(); }
        else if (sub === 0x1a || sub === 0x1b || sub === 0x1c) { /* no immediates */ }
        else throw new Error('gc op in const expr');
        break;
      }
      default: throw new Error('opcode 0x' + op.toString(16) + ' in const expr');
    }
  }
}

// Export types: { funcs: name -> {params, results}, globals: name -> {type, mutable},
// tables: name -> element type }.
function exportTypes(bytes) {
  const r = new Reader(bytes, 8);
  const types = [];
  const funcTypes = []; // function index -> type index
  const globalTypes = []; // global index -> {type, mutable}
  const tableTypes = []; // table index -> element type
  const exports = [];
  const readFuncType = (r) => {
    const np = r.u32(); const params = [];
    for (let i = 0; i < np; i++) params.push(readValType(r, types));
    const nr = r.u32(); const results = [];
    for (let i = 0; i < nr; i++) results.push(readValType(r, types));
    return { kind: 'func', params, results };
  };
  const readCompType = (r) => {
    const form = r.byte();
    if (form === 0x60) return readFuncType(r);
    if (form === 0x5f) { const n = r.u32(); for (let i = 0; i < n; i++) { readStorage(r); r.byte(); } return { kind: 'struct' }; }
    if (form === 0x5e) { readStorage(r); r.byte(); return { kind: 'array' }; }
    throw new Error('unknown composite type 0x' + form.toString(16));
  };
  const readStorage = (r) => { const c = r.b[r.p]; if (c === 0x78 || c === 0x77) { r.byte(); return; } readValType(r, null); };
  const readSubType = (r) => {
    const c = r.b[r.p];
    if (c === 0x50 || c === 0x4f) { r.byte(); const n = r.u32(); for (let i = 0; i < n; i++) r.u32(); }
    return readCompType(r);
  };
  while (!r.eof()) {
    const id = r.byte();
    const size = r.u32();
    const end = r.p + size;
    const s = new Reader(bytes, r.p, end);
    if (id === 1) {
      const n = s.u32();
      // Two passes would be exact for forward references; one pass records
      // kinds as they come, which is enough to classify references.
      for (let i = 0; i < n; i++) {
        if (s.b[s.p] === 0x4e) { s.byte(); const m = s.u32(); for (let j = 0; j < m; j++) types.push(readSubType(s)); }
        else types.push(readSubType(s));
      }
    } else if (id === 2) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        s.name(); s.name();
        const kind = s.byte();
        if (kind === 0) funcTypes.push(s.u32());
        else if (kind === 1) { tableTypes.push(readValType(s, types)); readLimits(s); }
        else if (kind === 2) readLimits(s);
        else if (kind === 3) { const type = readValType(s, types); const mutable = s.byte() & 1; globalTypes.push({ type, mutable }); }
        else if (kind === 4) { s.byte(); s.u32(); }
        else throw new Error('unknown import kind');
      }
    } else if (id === 3) {
      const n = s.u32();
      for (let i = 0; i < n; i++) funcTypes.push(s.u32());
    } else if (id === 4) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        // 0x40 0x00: a table with an initialiser expression after its limits.
        const init = s.b[s.p] === 0x40;
        if (init) { s.byte(); s.byte(); }
        tableTypes.push(readValType(s, types));
        readLimits(s);
        if (init) skipConstExpr(s);
      }
    } else if (id === 6) {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const type = readValType(s, types); const mutable = s.byte() & 1;
        globalTypes.push({ type, mutable });
        skipConstExpr(s);
      }
    } else if (id === 7) {
      const n = s.u32();
      for (let i = 0; i < n; i++) { const name = s.name(); const kind = s.byte(); const index = s.u32(); exports.push({ name, kind, index }); }
    }
    r.p = end;
  }
  const funcs = new Map(); const globals = new Map(); const tables = new Map();
  for (const e of exports) {
    if (e.kind === 0) { const t = types[funcTypes[e.index]]; if (t && t.kind === 'func') funcs.set(e.name, t); }
    else if (e.kind === 3 && globalTypes[e.index]) globals.set(e.name, globalTypes[e.index]);
    else if (e.kind === 1 && tableTypes[e.index]) tables.set(e.name, tableTypes[e.index]);
  }
  return { funcs, globals, tables };
}

// ---------------------------------------------------------------- trampolines

function leb(n) {
  const bytes = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; bytes.push(b); } while (n);
  return bytes;
}
function str(s) { const b = Buffer.from(s, 'utf8'); return [...leb(b.length), ...b]; }
function section(id, body) { return [id, ...leb(body.length), ...body]; }
function vec(items) { return [...leb(items.length), ...items.flat()]; }

const LOAD = { i32: [0x28, 2], i64: [0x29, 3], f32: [0x2a, 2], f64: [0x2b, 3] };
const STORE = { i32: [0x36, 2], i64: [0x37, 3], f32: [0x38, 2], f64: [0x39, 3] };
function memop(table, num, offset) {
  if (num === 'v128') return [0xfd, ...leb(table === LOAD ? 0 : 11), 4, ...leb(offset)];
  const [op, align] = table[num];
  return [op, align, ...leb(offset)];
}

// A module importing `t.f` (function of type fty, or global of type gty) and
// exporting `run`: numeric arguments are read from slots of 16 bytes in the
// exported memory `mem`, reference arguments are `run`'s parameters; numeric
// results are stored back in slots, reference results are `run`'s results.
function trampolineBytes(kind, fty, gty) {
  const params = kind === 'func' ? fty.params : [];
  const results = kind === 'func' ? fty.results : [gty.type];
  const refParams = params.filter((p) => p.ref);
  const refResults = results.filter((p) => p.ref);
  const types = [];
  if (kind === 'func') types.push([0x60, ...vec(params.map((p) => p.bytes)), ...vec(results.map((p) => p.bytes))]);
  types.push([0x60, ...vec(refParams.map((p) => p.bytes)), ...vec(refResults.map((p) => p.bytes))]);
  const runType = types.length - 1;
  const imports = kind === 'func'
    ? [[...str('t'), ...str('f'), 0x00, 0x00]]
    : [[...str('t'), ...str('g'), 0x03, ...gty.type.bytes, gty.mutable]];
  const code = [];
  if (kind === 'func') {
    let refIndex = 0;
    params.forEach((p, i) => {
      if (p.ref) code.push(0x20, ...leb(refIndex++));
      else code.push(0x41, 0x00, ...memop(LOAD, p.num, 16 * i));
    });
    code.push(0x10, 0x00);
  } else {
    code.push(0x23, 0x00);
  }
  const base = refParams.length;
  for (let i = results.length - 1; i >= 0; i--) code.push(0x21, ...leb(base + i));
  results.forEach((p, i) => {
    if (!p.ref) code.push(0x41, 0x00, 0x20, ...leb(base + i), ...memop(STORE, p.num, 16 * i));
  });
  results.forEach((p, i) => { if (p.ref) code.push(0x20, ...leb(base + i)); });
  code.push(0x0b);
  const locals = vec(results.map((p) => [0x01, ...p.bytes]));
  const body = [...locals, ...code];
  const funcIndex = kind === 'func' ? 1 : 0;
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec([leb(runType)])),
    ...section(5, vec([[0x00, 0x01]])),
    ...section(7, vec([[...str('run'), 0x00, ...leb(funcIndex)], [...str('mem'), 0x02, 0x00]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
  ]);
}

// ---------------------------------------------------------------- values

const externs = new Map(); // number -> object (ref.extern N)
const hosts = new Map(); // number -> object (ref.host N)
const objectIds = new Map(); // object -> {kind, n}
const funcIds = new Map(); // function -> id
function hostObject(map, kind, n) {
  if (!map.has(n)) { const o = { [kind]: n }; map.set(n, o); objectIds.set(o, { kind, n }); }
  return map.get(n);
}

function refToJs(v) {
  switch (v.ref) {
    case 'null': return null;
    case 'extern': return hostObject(externs, 'extern', v.host);
    case 'host': return hostObject(hosts, 'host', v.host);
    case 'i31': return Number(BigInt(v.bits));
    default: throw new TypeError('cannot pass a ' + v.ref + ' reference from the host');
  }
}

function refFromJs(x, family) {
  if (x === null || x === undefined) return { type: 'ref', ref: 'null', heap: family === 'unknown' ? 'unknown' : family };
  const known = objectIds.get(x);
  if (known) return { type: 'ref', ref: known.kind, host: known.n };
  if (typeof x === 'function') {
    if (!funcIds.has(x)) funcIds.set(x, funcIds.size + 1);
    return { type: 'ref', ref: 'func', id: funcIds.get(x) };
  }
  if (typeof x === 'number' && family !== 'extern') return { type: 'ref', ref: 'i31', bits: hex(BigInt(x), 8) };
  return { type: 'ref', ref: 'opaque' };
}

function writeNum(view, off, num, bits) {
  const b = BigInt(bits);
  switch (num) {
    case 'i32': case 'f32': view.setUint32(off, Number(BigInt.asUintN(32, b)), true); break;
    case 'i64': case 'f64': view.setBigUint64(off, BigInt.asUintN(64, b), true); break;
    case 'v128': view.setBigUint64(off, BigInt.asUintN(64, b), true); view.setBigUint64(off + 8, BigInt.asUintN(64, b >> 64n), true); break;
  }
}

function readNum(view, off, num) {
  switch (num) {
    case 'i32': case 'f32': return { type: num, bits: hex(BigInt(view.getUint32(off, true)), 8) };
    case 'i64': case 'f64': return { type: num, bits: hex(view.getBigUint64(off, true), 16) };
    case 'v128': return { type: num, bits: hex(view.getBigUint64(off, true) | (view.getBigUint64(off + 8, true) << 64n), 32) };
  }
}

// ---------------------------------------------------------------- state

const instances = []; // {instance, types, trampolines: Map}
const registry = new Map(); // name -> exports

function spectest() {
  const print = () => {};
  const m = {
    print, print_i32: print, print_i64: print, print_f32: print, print_f64: print,
    print_i32_f32: print, print_f64_f64: print, print_char: print,
    global_i32: new WebAssembly.Global({ value: 'i32', mutable: false }, 666),
    global_i64: new WebAssembly.Global({ value: 'i64', mutable: false }, 666n),
    global_f32: new WebAssembly.Global({ value: 'f32', mutable: false }, 666.6),
    global_f64: new WebAssembly.Global({ value: 'f64', mutable: false }, 666.6),
    table: new WebAssembly.Table({ element: 'anyfunc', initial: 10, maximum: 20 }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
  try { m.shared_memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }); } catch (e) { /* no threads */ }
  try { m.table64 = new WebAssembly.Table({ element: 'anyfunc', initial: 10, maximum: 20, index: 'i64' }); } catch (e) { /* no table64 */ }
  return m;
}
registry.set('spectest', spectest());

function moduleBytes(req) { return new Uint8Array(Buffer.from(req.module, 'base64')); }

function compile(req) {
  try {
    return { module: new WebAssembly.Module(moduleBytes(req)) };
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) return { error: { stage: 'rejected', message: e.message } };
    return { error: { stage: 'rejected', message: String(e) } };
  }
}

function instantiate(req) {
  const c = compile(req);
  if (c.error) return { module_error: c.error };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(c.module)) {
    const from = registry.get(imp.module);
    if (!from || !(imp.name in from)) {
      return { module_error: { stage: 'unlinkable', message: 'unknown import ' + imp.module + '.' + imp.name } };
    }
    (imports[imp.module] ||= {})[imp.name] = from[imp.name];
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(c.module, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError || e instanceof TypeError) {
      return { module_error: { stage: 'unlinkable', message: e.message } };
    }
    const f = failure(e);
    return { module_error: { stage: 'uninstantiable', message: String(e.message || e), outcome: f } };
  }
  let types = null;
  try { types = exportTypes(moduleBytes(req)); } catch (e) { types = null; }
  instances.push({ instance, types, trampolines: new Map() });
  return { instance: instances.length - 1 };
}

function getInstance(req) {
  const i = instances[req.instance];
  if (!i) throw new Error('no instance ' + req.instance);
  return i;
}

function trampoline(inst, kind, name) {
  const key = kind + ':' + name;
  if (inst.trampolines.has(key)) return inst.trampolines.get(key);
  let t = null;
  const fty = kind === 'func' ? inst.types && inst.types.funcs.get(name) : null;
  const gty = kind === 'global' ? inst.types && inst.types.globals.get(name) : null;
  const ty = fty || gty;
  const all = ty ? (fty ? [...fty.params, ...fty.results] : [gty.type]) : [];
  if (ty && !all.some((v) => v.concrete)) {
    try {
      const mod = new WebAssembly.Module(trampolineBytes(kind, fty, gty));
      const what = kind === 'func' ? { f: inst.instance.exports[name] } : { g: inst.instance.exports[name] };
      const exp = new WebAssembly.Instance(mod, { t: what }).exports;
      t = { run: exp.run, view: new DataView(exp.mem.buffer), params: fty ? fty.params : [], results: fty ? fty.results : [gty.type] };
    } catch (e) {
      t = null;
    }
  }
  inst.trampolines.set(key, t);
  return t;
}

function callThrough(t, args) {
  const refArgs = [];
  args.forEach((a, i) => {
    const p = t.params[i];
    if (p.ref) refArgs.push(refToJs(a)); else writeNum(t.view, 16 * i, p.num, a.bits);
  });
  let r = t.run(...refArgs);
  const refResults = t.results.filter((p) => p.ref);
  if (refResults.length === 1) r = [r];
  else if (refResults.length === 0) r = [];
  let k = 0;
  return t.results.map((p, i) => (p.ref ? refFromJs(r[k++], p.family) : readNum(t.view, 16 * i, p.num)));
}

// Fallback through the JS API (modules whose signatures use concrete types).
function jsArg(a) {
  switch (a.type) {
    case 'i32': return Number(BigInt.asIntN(32, BigInt(a.bits)));
    case 'i64': return BigInt.asIntN(64, BigInt(a.bits));
    case 'f32': { const v = new DataView(new ArrayBuffer(4)); v.setUint32(0, Number(BigInt(a.bits))); return v.getFloat32(0); }
    case 'f64': { const v = new DataView(new ArrayBuffer(8)); v.setBigUint64(0, BigInt(a.bits)); return v.getFloat64(0); }
    case 'ref': return refToJs(a);
    default: throw new TypeError('cannot pass ' + a.type + ' through the JS API');
  }
}
function jsResult(x, type) {
  if (type && type.num) {
    const v = new DataView(new ArrayBuffer(8));
    switch (type.num) {
      case 'i32': return { type: 'i32', bits: hex(BigInt(x), 8) };
      case 'i64': return { type: 'i64', bits: hex(BigInt(x), 16) };
      case 'f32': v.setFloat32(0, x); return { type: 'f32', bits: hex(BigInt(v.getUint32(0)), 8) };
      case 'f64': v.setFloat64(0, x); return { type: 'f64', bits: hex(v.getBigUint64(0), 16) };
    }
  }
  return refFromJs(x, type ? type.family : 'unknown');
}

function invoke(req) {
  const inst = getInstance(req);
  const f = inst.instance.exports[req.export];
  if (typeof f !== 'function') return { error: 'no exported function ' + JSON.stringify(req.export) };
  const t = trampoline(inst, 'func', req.export);
  try {
    if (t) return { returned: callThrough(t, req.args) };
    const fty = inst.types && inst.types.funcs.get(req.export);
    let r = f(...req.args.map(jsArg));
    const results = fty ? fty.results : [];
    if (results.length === 0) return { returned: [] };
    if (results.length === 1) r = [r];
    return { returned: results.map((ty, i) => jsResult(r[i], ty)) };
  } catch (e) {
    return failure(e);
  }
}

function getGlobal(req) {
  const inst = getInstance(req);
  const g = inst.instance.exports[req.export];
  if (!(g instanceof WebAssembly.Global)) return { error: 'no exported global ' + JSON.stringify(req.export) };
  const t = trampoline(inst, 'global', req.export);
  try {
    if (t) return { returned: callThrough(t, []) };
    const gty = inst.types && inst.types.globals.get(req.export);
    return { returned: [jsResult(g.value, gty ? gty.type : null)] };
  } catch (e) {
    return failure(e);
  }
}

function snapshot(req) {
  const inst = getInstance(req);
  const state = { globals: [], memories: [], tables: [] };
  for (const [name, x] of Object.entries(inst.instance.exports)) {
    if (x instanceof WebAssembly.Global) {
      const r = getGlobal({ instance: req.instance, export: name });
      if (r.returned) state.globals.push({ name, value: r.returned[0] });
    } else if (x instanceof WebAssembly.Memory) {
      state.memories.push({ name, bytes: Buffer.from(x.buffer).toString('base64') });
    } else if (x instanceof WebAssembly.Table) {
      // A null element is reported in its table's null family.
      const tty = inst.types && inst.types.tables.get(name);
      const family = tty ? tty.family : 'func';
      const values = [];
      for (let i = 0; i < x.length; i++) values.push(refFromJs(x.get(i), family));
      state.tables.push({ name, values });
    }
  }
  return { state };
}

function flagsInForce() {
  const config = {};
  for (const [feature, flag] of FEATURE_FLAGS) {
    if (process.execArgv.includes(flag)) config['flag.' + feature] = flag;
  }
  config['js-boundary'] = 'trampoline modules (exact bits)';
  return config;
}

function handle(req) {
  switch (req.op) {
    case 'hello':
      return {
        hello: {
          protocol: PROTOCOL,
          name: 'node',
          version: process.version.replace(/^v/, '') + ' (V8 ' + process.versions.v8 + ')',
          config: flagsInForce(),
          threads: false,
        },
      };
    case 'validate': { const c = compile(req); return c.error ? { module_error: c.error } : { ok: true }; }
    case 'instantiate': return instantiate(req);
    case 'register': {
      const inst = instances[req.instance];
      if (!inst) return { error: 'no instance ' + req.instance };
      registry.set(req.name, inst.instance.exports);
      return { ok: true };
    }
    case 'invoke': return invoke(req);
    case 'get_global': return getGlobal(req);
    case 'snapshot': return snapshot(req);
    case 'set_budget': return { ok: true, note: 'fuel is not supported by V8; ignored' };
    default: return { error: 'unknown op ' + JSON.stringify(req.op) };
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    out({ id: null, error: 'request is not JSON: ' + e.message });
    return;
  }
  let resp;
  try {
    resp = handle(req);
  } catch (e) {
    resp = { error: 'driver: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)) };
  }
  out({ id: req.id, ...resp });
});
rl.on('close', () => process.exit(0));
