#!/usr/bin/env python3
"""The Canonical ABI oracle: answers lifting/lowering questions with the
specification's executable definitions (definitions.py).

usage: canonical-abi-oracle.py DIR
  DIR holds definitions.py (../shared/component-model/design/mvp/canonical-abi)

Reads one JSON request per line on stdin, writes one JSON answer per line on
stdout. The Rust side is engines/src/oracle/abi.rs; both sides define the
same deterministic bump allocator as `realloc` (see Bump below and
reference_vm::component::abi::BumpContext).

Request: {"type": T, "value": V, "encoding": "utf8"|"utf16"|"latin1+utf16",
          "src": [ENCODING, FORCE_UTF16], "memory": BYTES, "start": ADDR,
          "misalign": CALL|null, "mode": "param"|"result",
          "retptr": ADDR|null, "store_at": ADDR|null}
  or, to lift from given bytes: {"type": T, "encoding": E, "mode": "lift",
          "fill": HEX (the memory), "flat": [[CORETYPE, BITS], ..],
          "store_at": ADDR|null (where to load from)}
  types:  "bool" "s8" .. "u64" "f32" "f64" "char" "string",
          {"list": T} {"fixed": [T, N]} {"map": [K, V]}
          {"record": [[LABEL, T], ..]} {"tuple": [T, ..]}
          {"variant": [[LABEL, T|null], ..]} {"enum": [LABEL, ..]}
          {"option": T} {"result": [T|null, T|null]} {"flags": [LABEL, ..]}
          {"own": RT} {"borrow": RT}
  values: bools, integers, floats by bits, chars by code point, strings,
          arrays (lists, tuples, record fields in order, map entries as
          [K, V]), variant-likes as [LABEL, PAYLOAD|null] (option:
          "none"/"some", result: "ok"/"error"), flags as the set labels,
          handles as the resource's rep.
Answer: {"lower": OUTCOME, "lift": OUTCOME, "store": OUTCOME, "load": OUTCOME}
  where a lowering OUTCOME is {"flat": [[CORETYPE, BITS], ..] | null,
  "trap": SITE|null, "reallocs": [[OLD, OLD_SIZE, ALIGN, NEW_SIZE, RESULT]],
  "memory": [[OFFSET, HEX], ..] (the non-zero runs)} and a lifting OUTCOME
  is {"value": V|null, "trap": SITE|null}; SITE is CATEGORY:FUNCTION,
  the kind of check (align, bounds, length, discriminant, char, decode,
  handle) and the function that trapped. "lift" (the round trip of the lowering) and "load" (of the
  store) are null when the step before trapped.
"""

import json
import struct
import sys
import traceback


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.path.insert(0, sys.argv[1])
    import definitions as d
    # Lowering a NaN gives the canonical NaN (the deterministic profile).
    d.DETERMINISTIC_PROFILE = True
    oracle = Oracle(d)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = oracle.run(json.loads(line))
        except Exception as e:  # a driver bug or a malformed request
            answer = {"error": f"{type(e).__name__}: {e}", "where": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Bump:
    """The deterministic bump allocator used as `realloc`."""

    def __init__(self, start, misalign):
        self.next = start
        self.misalign = misalign
        self.calls = []

    def realloc(self, mem, old, old_size, align, new_size):
        p = -(-self.next // align) * align
        if self.misalign == len(self.calls):
            p += 1
        p &= 0xFFFFFFFF
        n = len(mem)
        for j in range(min(old_size, new_size)):
            if old + j < n and p + j < n:
                mem[p + j] = mem[old + j]
        self.next = p + new_size
        self.calls.append([old, old_size, align, new_size, p])
        return p


def trap_site(tb):
    """CATEGORY:FUNCTION of the trap()/trap_if() that raised, the category
    read off the checking line (the Rust side classifies its traps alike)."""
    frames = traceback.extract_tb(tb)
    while frames and frames[-1].name in ("trap", "trap_if"):
        frames.pop()
    if not frames:
        return "other:?"
    name, line = frames[-1].name, frames[-1].line or ""
    if "align_to" in line:
        category = "align"
    elif "len(cx.opts.memory)" in line:
        category = "bounds"
    elif "MAX_" in line:
        category = "length"
    elif "case_index" in line:
        category = "discriminant"
    elif name == "convert_i32_to_char":
        category = "char"
    elif name == "load_string_from_range":
        category = "decode"
    else:
        category = "handle"
    return f"{category}:{name}"


def sparse(mem):
    """The non-zero runs of a memory as [offset, hex]."""
    runs, i, n = [], 0, len(mem)
    while i < n:
        if mem[i] == 0:
            i += 1
            continue
        j = i
        while j < n and mem[j] != 0:
            j += 1
        runs.append([i, bytes(mem[i:j]).hex()])
        i = j
    return runs


def f32_of_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def f64_of_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def bits_of_f32(f):
    return struct.unpack("<I", struct.pack("<f", f))[0]


def bits_of_f64(f):
    return struct.unpack("<Q", struct.pack("<d", f))[0]


PRIMS = ["bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64",
         "f32", "f64", "char", "string"]


class Oracle:
    def __init__(self, d):
        self.d = d
        self.prims = {name: cls for name, cls in zip(PRIMS, [
            d.BoolType, d.S8Type, d.U8Type, d.S16Type, d.U16Type, d.S32Type,
            d.U32Type, d.S64Type, d.U64Type, d.F32Type, d.F64Type,
            d.CharType, d.StringType])}

    # -- types ---------------------------------------------------------------

    def ty(self, j, rts):
        d = self.d
        if isinstance(j, str):
            return self.prims[j]()
        (k, a), = j.items()
        opt = lambda x: None if x is None else self.ty(x, rts)
        if k == "list":
            return d.ListType(self.ty(a, rts))
        if k == "fixed":
            return d.ListType(self.ty(a[0], rts), a[1])
        if k == "map":
            return d.MapType(self.ty(a[0], rts), self.ty(a[1], rts))
        if k == "record":
            return d.RecordType([d.FieldType(l, self.ty(t, rts)) for l, t in a])
        if k == "tuple":
            return d.TupleType([self.ty(t, rts) for t in a])
        if k == "variant":
            return d.VariantType([d.CaseType(l, opt(t)) for l, t in a])
        if k == "enum":
            return d.EnumType(list(a))
        if k == "option":
            return d.OptionType(self.ty(a, rts))
        if k == "result":
            return d.ResultType(opt(a[0]), opt(a[1]))
        if k == "flags":
            return d.FlagsType(list(a))
        if k in ("own", "borrow"):
            if a not in rts:
                # Implemented by another instance: lower_borrow makes a handle.
                rts[a] = d.ResourceType(self.d.ComponentInstance(d.Store()))
            return (d.OwnType if k == "own" else d.BorrowType)(rts[a])
        raise ValueError(f"unknown type {j!r}")

    # -- values: JSON -> definitions.py ----------------------------------------

    def to_py(self, t, v, src):
        d = self.d
        match t:
            case d.BoolType():
                return bool(v)
            case d.F32Type():
                return f32_of_bits(v)
            case d.F64Type():
                return f64_of_bits(v)
            case d.CharType():
                return chr(v)
            case d.StringType():
                return (v, src[0], source_units(v, src))
            case d.PrimValType():
                return v
            case d.ListType(e, _):
                return [self.to_py(e, x, src) for x in v]
            case d.MapType(k, w):
                return [{"0": self.to_py(k, a, src), "1": self.to_py(w, b, src)} for a, b in v]
            case d.RecordType(fields):
                return {f.label: self.to_py(f.t, x, src) for f, x in zip(fields, v)}
            case d.TupleType(ts):
                return {str(i): self.to_py(u, x, src) for i, (u, x) in enumerate(zip(ts, v))}
            case d.FlagsType(labels):
                return {l: l in v for l in labels}
            case d.OwnType() | d.BorrowType():
                return v
        label, payload = v
        pt = dict((c.label, c.t) for c in d.despecialize(t).cases)[label]
        return {label: None if pt is None else self.to_py(pt, payload, src)}

    # -- values: definitions.py -> JSON ----------------------------------------

    def to_json(self, t, v):
        d = self.d
        match t:
            case d.F32Type():
                return bits_of_f32(v)
            case d.F64Type():
                return bits_of_f64(v)
            case d.CharType():
                return ord(v)
            case d.StringType():
                return v[0]
            case d.PrimValType():
                return v
            case d.ListType(e, _):
                return [self.to_json(e, x) for x in v]
            case d.MapType(k, w):
                return [[self.to_json(k, x["0"]), self.to_json(w, x["1"])] for x in v]
            case d.RecordType(fields):
                return [self.to_json(f.t, v[f.label]) for f in fields]
            case d.TupleType(ts):
                return [self.to_json(u, v[str(i)]) for i, u in enumerate(ts)]
            case d.FlagsType(labels):
                return [l for l in labels if v[l]]
            case d.OwnType() | d.BorrowType():
                return v
        (label, payload), = v.items()
        pt = dict((c.label, c.t) for c in d.despecialize(t).cases)[label]
        return [label, None if pt is None else self.to_json(pt, payload)]

    # -- flat values -------------------------------------------------------------

    def flat_json(self, types, vals):
        out = []
        for t, v in zip(types, vals):
            if t == "f32":
                v = bits_of_f32(v) if isinstance(v, float) else v
            elif t == "f64":
                v = bits_of_f64(v) if isinstance(v, float) else v
            out.append([t, v])
        return out

    # -- a case ---------------------------------------------------------------

    def context(self, req, mem, inst, scope, bump):
        d = self.d
        opts = d.LiftLowerOptions(string_encoding=req["encoding"], memory=mem,
                                  realloc=lambda *a: None)
        cx = d.LiftLowerContext(opts, inst, scope)
        cx.reallocate = lambda old, old_len, align, new_len: bump.realloc(
            mem, old, old_len, align, new_len)
        return cx

    def run(self, req):
        d = self.d
        rts = {}
        t = self.ty(req["type"], rts)
        if req["mode"] == "lift":
            return self.run_lift(req, t)
        v = self.to_py(t, req["value"], req["src"])
        result_mode = req["mode"] == "result"
        max_flat = d.MAX_FLAT_RESULTS if result_mode else d.MAX_FLAT_PARAMS
        answer = {"lower": None, "lift": None, "store": None, "load": None}

        # lower_flat_values (then the round trip through lift_flat_values)
        mem = d.MemInst(bytearray(req["memory"]), "i32")
        inst = d.ComponentInstance(d.Store())
        task = d.Task(None, None, inst, None, None)
        bump = Bump(req["start"], req["misalign"])
        cx = self.context(req, mem, inst, task, bump)
        flat_types = d.flatten_types([t], cx.opts)
        spilled = len(flat_types) > max_flat
        out = {"flat": None, "trap": None}
        try:
            if result_mode:
                flat = d.lower_flat_values(cx, max_flat, [v], [t],
                                           d.CoreValueIter([req["retptr"]]))
            else:
                flat = d.lower_flat_values(cx, max_flat, [v], [t])
            out["flat"] = self.flat_json(["i32"] if spilled else flat_types, flat)
        except d.Trap:
            out["trap"] = trap_site(sys.exc_info()[2])
        out["reallocs"] = bump.calls
        out["memory"] = sparse(mem.bytes)
        answer["lower"] = out
        if out["trap"] is None:
            lift_cx = self.context(req, mem, inst, d.Subtask(), bump)
            args = [req["retptr"]] if result_mode and spilled else flat
            answer["lift"] = self.lift(lambda: d.lift_flat_values(
                lift_cx, max_flat, d.CoreValueIter(args), [t])[0], t)

        # store then load, at store_at in a fresh memory
        if req.get("store_at") is not None:
            ptr = req["store_at"]
            mem = d.MemInst(bytearray(req["memory"]), "i32")
            inst = d.ComponentInstance(d.Store())
            bump = Bump(req["start"], req["misalign"])
            cx = self.context(req, mem, inst, d.Task(None, None, inst, None, None), bump)
            out = {"flat": None, "trap": None}
            try:
                d.store(cx, v, t, ptr)
            except d.Trap:
                out["trap"] = trap_site(sys.exc_info()[2])
            out["reallocs"] = bump.calls
            out["memory"] = sparse(mem.bytes)
            answer["store"] = out
            if out["trap"] is None:
                load_cx = self.context(req, mem, inst, d.Subtask(), bump)
                answer["load"] = self.lift(lambda: d.load(load_cx, ptr, t), t)
        return answer

    def run_lift(self, req, t):
        """Lifting from a given memory and given flat values (mostly
        invalid ones: this is where the lifting traps are)."""
        d = self.d
        answer = {"lower": None, "lift": None, "store": None, "load": None}
        fill = bytes.fromhex(req["fill"])
        flat = [f32_of_bits(v) if k == "f32" else f64_of_bits(v) if k == "f64" else v
                for k, v in req["flat"]]

        def fresh():
            mem = d.MemInst(bytearray(fill), "i32")
            inst = d.ComponentInstance(d.Store())
            return self.context(req, mem, inst, d.Subtask(), Bump(0, None))
        cx = fresh()
        answer["lift"] = self.lift(lambda: d.lift_flat_values(
            cx, d.MAX_FLAT_PARAMS, d.CoreValueIter(flat), [t])[0], t)
        if req.get("store_at") is not None:
            cx = fresh()
            answer["load"] = self.lift(lambda: d.load(cx, req["store_at"], t), t)
        return answer

    def lift(self, f, t):
        try:
            return {"value": self.to_json(t, f()), "trap": None}
        except self.d.Trap:
            return {"value": None, "trap": trap_site(sys.exc_info()[2])}


def source_units(s, src):
    """The tagged code units of a string from a component using src[0]
    (latin1+utf16: Latin-1 when every character is, unless src[1])."""
    encoding, force_utf16 = src
    utf16_units = len(s.encode("utf-16-le")) // 2
    if encoding == "utf8":
        return len(s.encode("utf-8"))
    if encoding == "utf16":
        return utf16_units
    if not force_utf16 and all(ord(c) < 256 for c in s):
        return len(s)
    return utf16_units | (1 << 31)


if __name__ == "__main__":
    main()
