//! The Canonical ABI oracle: reference-vm's `component::abi` against the
//! specification's executable definitions (`definitions.py`, driven by
//! `scripts/canonical-abi-oracle.py` in one long-lived `python3` process).
//!
//! A seeded generator makes a random type (every value type but the async
//! ones and `error-context`; `own`/`borrow` over a trivial handle table) and
//! a random value of it, random options (string encoding, the source
//! encoding of strings, memory size, allocator start, a misaligning
//! `realloc` call) and a mode (lowered as a parameter, spilling through
//! `realloc` past 16 core values, or as a result, spilling to a return
//! pointer past 1). Both sides then lower it (`lower_flat_values`), lift
//! it back (`lift_flat_values`), and `store` then `load` it; the flat
//! values, the `realloc` calls, the memory bytes, the lifted values and
//! whether each step trapped must agree. A difference is saved as JSON
//! (type, value, options and both answers), replayable with
//! [`replay_file`].

use super::plan::Rng;
use reference_vm::component::abi::{
    self, BumpContext, CoreValueIter, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, Options, StringEncoding,
};
use reference_vm::component::{ResourceType, ValType, Value};
use reference_vm::exec::Val;
use serde_json::{Value as Json, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Where a value is lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As the one parameter of a lifted function (spilled past
    /// [`MAX_FLAT_PARAMS`] into memory from `realloc`).
    Param,
    /// As the result (spilled past [`MAX_FLAT_RESULTS`] to `retptr`).
    Result,
    /// Not lowered: lifted from given memory bytes and flat values
    /// (mostly invalid: the lifting traps), and loaded at `store_at`.
    Lift,
}

/// One oracle case: a type, a value of it, and the options.
#[derive(Clone, Debug)]
pub struct AbiCase {
    /// The type.
    pub ty: ValType,
    /// The value.
    pub value: Value,
    /// The `string-encoding` option.
    pub encoding: StringEncoding,
    /// The encoding strings come from, and whether a `latin1+utf16`
    /// source tags an all-Latin-1 string as UTF-16.
    pub src: (StringEncoding, bool),
    /// Memory size in bytes.
    pub memory: usize,
    /// The bump allocator's first address.
    pub start: u64,
    /// The `realloc` call whose result is misaligned.
    pub misalign: Option<usize>,
    /// Parameter or result.
    pub mode: Mode,
    /// The return pointer (result mode).
    pub retptr: u32,
    /// Where `store`/`load` put the value (aligned, in bounds), if it fits.
    pub store_at: Option<u64>,
    /// Lift mode: the memory's bytes.
    pub fill: Vec<u8>,
    /// Lift mode: the flat values.
    pub flat: Vec<Val>,
}

// ---------------------------------------------------------------------------
// JSON (the format of scripts/canonical-abi-oracle.py)

const PRIMS: [(&str, ValType); 13] = [
    ("bool", ValType::Bool),
    ("s8", ValType::S8),
    ("u8", ValType::U8),
    ("s16", ValType::S16),
    ("u16", ValType::U16),
    ("s32", ValType::S32),
    ("u32", ValType::U32),
    ("s64", ValType::S64),
    ("u64", ValType::U64),
    ("f32", ValType::F32),
    ("f64", ValType::F64),
    ("char", ValType::Char),
    ("string", ValType::String),
];

/// A type as the driver's JSON.
pub fn type_json(t: &ValType) -> Json {
    if let Some((name, _)) = PRIMS.iter().find(|p| p.1 == *t) {
        return json!(name);
    }
    let opt = |t: &Option<Box<ValType>>| t.as_deref().map_or(Json::Null, type_json);
    match t {
        ValType::List(e) => json!({ "list": type_json(e) }),
        ValType::FixedList(e, n) => json!({ "fixed": [type_json(e), n] }),
        ValType::Map(k, v) => json!({ "map": [type_json(k), type_json(v)] }),
        ValType::Record(f) => {
            json!({ "record": f.iter().map(|(l, t)| json!([l, type_json(t)])).collect::<Vec<_>>() })
        }
        ValType::Tuple(ts) => json!({ "tuple": ts.iter().map(type_json).collect::<Vec<_>>() }),
        ValType::Variant(c) => {
            json!({ "variant": c.iter().map(|(l, t)| json!([l, t.as_ref().map_or(Json::Null, type_json)])).collect::<Vec<_>>() })
        }
        ValType::Enum(l) => json!({ "enum": l }),
        ValType::Option(t) => json!({ "option": type_json(t) }),
        ValType::Result(ok, err) => json!({ "result": [opt(ok), opt(err)] }),
        ValType::Flags(l) => json!({ "flags": l }),
        ValType::Own(rt) => json!({ "own": rt.0 }),
        ValType::Borrow(rt) => json!({ "borrow": rt.0 }),
        other => json!(format!("unsupported {other:?}")),
    }
}

/// A type from the driver's JSON.
pub fn type_from_json(j: &Json) -> Result<ValType, String> {
    if let Some(s) = j.as_str() {
        return PRIMS
            .iter()
            .find(|p| p.0 == s)
            .map(|p| p.1.clone())
            .ok_or_else(|| format!("unknown type {s:?}"));
    }
    let bad = || format!("bad type {j}");
    let obj = j.as_object().filter(|o| o.len() == 1).ok_or_else(bad)?;
    let (k, a) = obj.iter().next().ok_or_else(bad)?;
    let arr = || a.as_array().ok_or_else(bad);
    let boxed = |j: &Json| type_from_json(j).map(Box::new);
    let opt = |j: &Json| -> Result<Option<Box<ValType>>, String> {
        if j.is_null() {
            Ok(None)
        } else {
            boxed(j).map(Some)
        }
    };
    let labels = || -> Result<Vec<String>, String> {
        arr()?
            .iter()
            .map(|l| l.as_str().map(String::from).ok_or_else(bad))
            .collect()
    };
    let pair = || -> Result<(&Json, &Json), String> {
        match arr()?.as_slice() {
            [x, y] => Ok((x, y)),
            _ => Err(bad()),
        }
    };
    let rt = || a.as_u64().map(|n| ResourceType(n as u32)).ok_or_else(bad);
    Ok(match k.as_str() {
        "list" => ValType::List(boxed(a)?),
        "fixed" => {
            let (t, n) = pair()?;
            ValType::FixedList(boxed(t)?, n.as_u64().ok_or_else(bad)? as u32)
        }
        "map" => {
            let (x, y) = pair()?;
            ValType::Map(boxed(x)?, boxed(y)?)
        }
        "record" => ValType::Record(
            arr()?
                .iter()
                .map(|f| match f.as_array().map(Vec::as_slice) {
                    Some([l, t]) => {
                        Ok((l.as_str().ok_or_else(bad)?.to_string(), type_from_json(t)?))
                    }
                    _ => Err(bad()),
                })
                .collect::<Result<_, _>>()?,
        ),
        "tuple" => ValType::Tuple(
            arr()?
                .iter()
                .map(type_from_json)
                .collect::<Result<_, _>>()?,
        ),
        "variant" => ValType::Variant(
            arr()?
                .iter()
                .map(|c| match c.as_array().map(Vec::as_slice) {
                    Some([l, t]) => {
                        Ok((l.as_str().ok_or_else(bad)?.to_string(), opt(t)?.map(|b| *b)))
                    }
                    _ => Err(bad()),
                })
                .collect::<Result<_, _>>()?,
        ),
        "enum" => ValType::Enum(labels()?),
        "option" => ValType::Option(boxed(a)?),
        "result" => {
            let (x, y) = pair()?;
            ValType::Result(opt(x)?, opt(y)?)
        }
        "flags" => ValType::Flags(labels()?),
        "own" => ValType::Own(rt()?),
        "borrow" => ValType::Borrow(rt()?),
        _ => return Err(bad()),
    })
}

/// A value as the driver's JSON (see the driver's docstring).
pub fn value_json(v: &Value) -> Json {
    let payload = |p: &Option<Box<Value>>| p.as_deref().map_or(Json::Null, value_json);
    match v {
        Value::Bool(b) => json!(b),
        Value::S8(x) => json!(x),
        Value::U8(x) => json!(x),
        Value::S16(x) => json!(x),
        Value::U16(x) => json!(x),
        Value::S32(x) => json!(x),
        Value::U32(x) => json!(x),
        Value::S64(x) => json!(x),
        Value::U64(x) => json!(x),
        Value::F32(b) => json!(b),
        Value::F64(b) => json!(b),
        Value::Char(c) => json!(*c as u32),
        Value::String(s) => json!(s),
        Value::List(vs) | Value::Tuple(vs) => Json::Array(vs.iter().map(value_json).collect()),
        Value::Record(fs) => Json::Array(fs.iter().map(|f| value_json(&f.1)).collect()),
        Value::Variant(l, p) => json!([l, payload(p)]),
        Value::Enum(l) => json!([l, null]),
        Value::Option(None) => json!(["none", null]),
        Value::Option(Some(p)) => json!(["some", value_json(p)]),
        Value::Result(Ok(p)) => json!(["ok", payload(p)]),
        Value::Result(Err(p)) => json!(["error", payload(p)]),
        Value::Flags(ls) => json!(ls),
        Value::Own(r) | Value::Borrow(r) | Value::Handle(r) => json!(r),
        Value::Map(kvs) => Json::Array(
            kvs.iter()
                .map(|(k, v)| json!([value_json(k), value_json(v)]))
                .collect(),
        ),
    }
}

/// A value of type `t` from the driver's JSON.
pub fn value_from_json(t: &ValType, j: &Json) -> Result<Value, String> {
    let bad = || format!("bad value {j} for {t:?}");
    let int = || j.as_i64().ok_or_else(bad);
    let uint = || j.as_u64().ok_or_else(bad);
    let arr = || j.as_array().ok_or_else(bad);
    let case = || -> Result<(String, &Json), String> {
        match arr()?.as_slice() {
            [l, p] => Ok((l.as_str().ok_or_else(bad)?.to_string(), p)),
            _ => Err(bad()),
        }
    };
    let payload = |pt: Option<&ValType>, p: &Json| -> Result<Option<Box<Value>>, String> {
        match pt {
            Some(pt) => Ok(Some(Box::new(value_from_json(pt, p)?))),
            None => Ok(None),
        }
    };
    Ok(match t {
        ValType::Bool => Value::Bool(j.as_bool().ok_or_else(bad)?),
        ValType::S8 => Value::S8(int()? as i8),
        ValType::U8 => Value::U8(uint()? as u8),
        ValType::S16 => Value::S16(int()? as i16),
        ValType::U16 => Value::U16(uint()? as u16),
        ValType::S32 => Value::S32(int()? as i32),
        ValType::U32 => Value::U32(uint()? as u32),
        ValType::S64 => Value::S64(int()?),
        ValType::U64 => Value::U64(uint()?),
        ValType::F32 => Value::F32(uint()? as u32),
        ValType::F64 => Value::F64(uint()?),
        ValType::Char => Value::Char(char::from_u32(uint()? as u32).ok_or_else(bad)?),
        ValType::String => Value::String(j.as_str().ok_or_else(bad)?.to_string()),
        ValType::List(e) | ValType::FixedList(e, _) => Value::List(
            arr()?
                .iter()
                .map(|x| value_from_json(e, x))
                .collect::<Result<_, _>>()?,
        ),
        ValType::Map(k, v) => Value::Map(
            arr()?
                .iter()
                .map(|x| match x.as_array().map(Vec::as_slice) {
                    Some([a, b]) => Ok((value_from_json(k, a)?, value_from_json(v, b)?)),
                    _ => Err(bad()),
                })
                .collect::<Result<_, _>>()?,
        ),
        ValType::Record(fs) => Value::Record(
            fs.iter()
                .zip(arr()?)
                .map(|((l, t), x)| Ok((l.clone(), value_from_json(t, x)?)))
                .collect::<Result<_, String>>()?,
        ),
        ValType::Tuple(ts) => Value::Tuple(
            ts.iter()
                .zip(arr()?)
                .map(|(t, x)| value_from_json(t, x))
                .collect::<Result<_, _>>()?,
        ),
        ValType::Variant(cs) => {
            let (l, p) = case()?;
            let pt = cs.iter().find(|c| c.0 == l).ok_or_else(bad)?.1.as_ref();
            Value::Variant(l, payload(pt, p)?)
        }
        ValType::Enum(_) => Value::Enum(case()?.0),
        ValType::Option(pt) => match case()? {
            (l, _) if l == "none" => Value::Option(None),
            (_, p) => Value::Option(payload(Some(pt), p)?),
        },
        ValType::Result(ok, err) => match case()? {
            (l, p) if l == "ok" => Value::Result(Ok(payload(ok.as_deref(), p)?)),
            (_, p) => Value::Result(Err(payload(err.as_deref(), p)?)),
        },
        ValType::Flags(_) => Value::Flags(
            arr()?
                .iter()
                .map(|l| l.as_str().map(String::from).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
        ValType::Own(_) => Value::Own(uint()? as u32),
        ValType::Borrow(_) => Value::Borrow(uint()? as u32),
        _ => return Err(bad()),
    })
}

impl AbiCase {
    /// The driver's request for this case.
    pub fn request(&self) -> Json {
        if self.mode == Mode::Lift {
            let fill: String = self.fill.iter().map(|b| format!("{b:02x}")).collect();
            return json!({
                "type": type_json(&self.ty),
                "encoding": self.encoding.name(),
                "mode": "lift",
                "fill": fill,
                "flat": flat_json(&self.flat),
                "store_at": self.store_at,
            });
        }
        json!({
            "type": type_json(&self.ty),
            "value": value_json(&self.value),
            "encoding": self.encoding.name(),
            "src": [self.src.0.name(), self.src.1],
            "memory": self.memory,
            "start": self.start,
            "misalign": self.misalign,
            "mode": if self.mode == Mode::Param { "param" } else { "result" },
            "retptr": self.retptr,
            "store_at": self.store_at,
        })
    }

    /// The case of a request (a saved difference's `"case"`).
    pub fn from_request(j: &Json) -> Result<AbiCase, String> {
        let bad = |what: &str| format!("case: bad or missing {what:?}");
        let enc = |j: &Json| {
            j.as_str()
                .and_then(StringEncoding::from_name)
                .ok_or_else(|| bad("encoding"))
        };
        let ty = type_from_json(&j["type"])?;
        if j["mode"] == "lift" {
            let hex = j["fill"].as_str().ok_or_else(|| bad("fill"))?;
            let fill = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| bad("fill"))?;
            let flat = j["flat"]
                .as_array()
                .ok_or_else(|| bad("flat"))?
                .iter()
                .map(|f| {
                    let bits = f[1].as_u64().ok_or_else(|| bad("flat"))?;
                    Ok(match f[0].as_str() {
                        Some("i32") => Val::I32(bits as u32),
                        Some("i64") => Val::I64(bits),
                        Some("f32") => Val::F32(bits as u32),
                        Some("f64") => Val::F64(bits),
                        _ => return Err(bad("flat")),
                    })
                })
                .collect::<Result<Vec<Val>, String>>()?;
            return Ok(AbiCase {
                encoding: enc(&j["encoding"])?,
                src: (StringEncoding::Utf8, false),
                memory: fill.len(),
                start: 0,
                misalign: None,
                mode: Mode::Lift,
                retptr: 0,
                store_at: j["store_at"].as_u64(),
                ty,
                value: Value::Bool(false),
                fill,
                flat,
            });
        }
        let value = value_from_json(&ty, &j["value"])?;
        Ok(AbiCase {
            encoding: enc(&j["encoding"])?,
            src: (enc(&j["src"][0])?, j["src"][1].as_bool().unwrap_or(false)),
            memory: j["memory"].as_u64().ok_or_else(|| bad("memory"))? as usize,
            start: j["start"].as_u64().ok_or_else(|| bad("start"))?,
            misalign: j["misalign"].as_u64().map(|n| n as usize),
            mode: if j["mode"] == "result" {
                Mode::Result
            } else {
                Mode::Param
            },
            retptr: j["retptr"].as_u64().unwrap_or(0) as u32,
            store_at: j["store_at"].as_u64(),
            ty,
            value,
            fill: Vec::new(),
            flat: Vec::new(),
        })
    }
}

// ---------------------------------------------------------------------------
// Our side

/// The flat values as `[[type, bits], ...]`.
fn flat_json(vals: &[Val]) -> Json {
    Json::Array(
        vals.iter()
            .map(|v| match v {
                Val::I32(x) => json!(["i32", x]),
                Val::I64(x) => json!(["i64", x]),
                Val::F32(x) => json!(["f32", x]),
                Val::F64(x) => json!(["f64", x]),
                other => json!(["?", format!("{other:?}")]),
            })
            .collect(),
    )
}

/// The non-zero runs of a memory as `[offset, hex]`.
fn sparse(mem: &[u8]) -> Json {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < mem.len() {
        if mem[i] == 0 {
            i += 1;
            continue;
        }
        let j = mem[i..]
            .iter()
            .position(|&b| b == 0)
            .map_or(mem.len(), |k| i + k);
        let hex: String = mem[i..j].iter().map(|b| format!("{b:02x}")).collect();
        runs.push(json!([i, hex]));
        i = j;
    }
    Json::Array(runs)
}

/// The kind of check a trap comes from, as the driver names it
/// (`CATEGORY:...`): traps are compared by category, since the two sides
/// name them differently.
fn trap_text(t: &abi::Trap) -> String {
    use abi::Trap as T;
    let category = match t {
        T::UnalignedPointer | T::ReallocUnaligned => "align",
        T::PointerOutOfBounds
        | T::StringOutOfBounds
        | T::ListOutOfBounds
        | T::ReallocOutOfBounds(_) => "bounds",
        T::StringTooLong | T::ListTooLong => "length",
        T::InvalidDiscriminant => "discriminant",
        T::InvalidChar => "char",
        T::InvalidUtf8 { .. } | T::InvalidUtf16 => "decode",
        T::Context(_) => "handle",
        _ => "other",
    };
    format!("{category}:{t:?}")
}

/// The category of a trap text (`None`: no trap).
fn category(trap: &Json) -> Option<&str> {
    trap.as_str().map(|t| t.split(':').next().unwrap_or(t))
}

/// A lowering step's outcome, in the driver's shape.
fn step_json(cx: &BumpContext, flat: Option<&[Val]>, trap: Option<&abi::Trap>) -> Json {
    json!({
        "flat": flat.map_or(Json::Null, flat_json),
        "trap": trap.map(trap_text),
        "reallocs": cx.reallocs.iter().map(|r| json!(r)).collect::<Vec<_>>(),
        "memory": sparse(&cx.memory),
    })
}

/// A lifting step's outcome.
fn lifted_json(r: Result<Value, abi::Trap>) -> Json {
    match r {
        Ok(v) => json!({ "value": value_json(&v), "trap": null }),
        Err(t) => json!({ "value": null, "trap": trap_text(&t) }),
    }
}

/// Runs a case through reference-vm's `component::abi`; the answer has the
/// driver's shape.
pub fn ours(case: &AbiCase) -> Json {
    let options = Options {
        string_encoding: case.encoding,
        memory: true,
        realloc: true,
    };
    let fresh = || {
        let mut cx = BumpContext::new(options, case.memory, case.start);
        cx.misalign_call = case.misalign;
        cx.src_encoding = case.src;
        cx
    };
    let ts = std::slice::from_ref(&case.ty);
    let vs = std::slice::from_ref(&case.value);
    let mut answer = json!({ "lower": null, "lift": null, "store": null, "load": null });
    if case.mode == Mode::Lift {
        let fresh = || {
            let mut cx = BumpContext::new(options, 0, 0);
            cx.memory = case.fill.clone();
            cx
        };
        let mut vi = CoreValueIter::new(&case.flat);
        let lifted = abi::lift_flat_values(&mut fresh(), MAX_FLAT_PARAMS, &mut vi, ts)
            .map(|mut v| v.pop().unwrap_or(Value::Bool(false)));
        answer["lift"] = lifted_json(lifted);
        if let Some(ptr) = case.store_at {
            answer["load"] = lifted_json(abi::load(&mut fresh(), ptr, &case.ty));
        }
        return answer;
    }

    let mut cx = fresh();
    let max_flat = match case.mode {
        Mode::Result => MAX_FLAT_RESULTS,
        _ => MAX_FLAT_PARAMS,
    };
    let spilled = abi::flatten_types(ts, max_flat).is_none();
    let retptr = [Val::I32(case.retptr)];
    let lowered = match case.mode {
        Mode::Param | Mode::Lift => abi::lower_flat_values(&mut cx, max_flat, vs, ts, None),
        Mode::Result => {
            let mut op = CoreValueIter::new(&retptr);
            abi::lower_flat_values(&mut cx, max_flat, vs, ts, Some(&mut op))
        }
    };
    answer["lower"] = step_json(&cx, lowered.as_deref().ok(), lowered.as_ref().err());
    if let Ok(flat) = &lowered {
        let args: &[Val] = if case.mode == Mode::Result && spilled {
            &retptr
        } else {
            flat
        };
        let mut vi = CoreValueIter::new(args);
        let lifted = abi::lift_flat_values(&mut cx, max_flat, &mut vi, ts)
            .map(|mut v| v.pop().unwrap_or(Value::Bool(false)));
        answer["lift"] = lifted_json(lifted);
    }

    if let Some(ptr) = case.store_at {
        let mut cx = fresh();
        let stored = abi::store(&mut cx, &case.value, &case.ty, ptr);
        answer["store"] = step_json(&cx, None, stored.as_ref().err());
        if stored.is_ok() {
            answer["load"] = lifted_json(abi::load(&mut cx, ptr, &case.ty));
        }
    }
    answer
}

/// The first difference between our answer and the driver's, if any.
/// Traps are compared by the kind of check that failed (alignment,
/// bounds, length, discriminant, char, decoding, handle); everything else
/// exactly.
pub fn difference(ours: &Json, theirs: &Json) -> Option<String> {
    if let Some(e) = theirs.get("error") {
        return Some(format!("the driver failed: {e}"));
    }
    for step in ["lower", "lift", "store", "load"] {
        let (a, b) = (&ours[step], &theirs[step]);
        if a.is_null() != b.is_null() {
            return Some(format!("{step}: ran on one side only"));
        }
        if a.is_null() {
            continue;
        }
        if category(&a["trap"]) != category(&b["trap"]) {
            return Some(format!("{step}: trap {} vs {}", a["trap"], b["trap"]));
        }
        for key in ["flat", "value", "reallocs", "memory"] {
            if a.get(key) != b.get(key) {
                return Some(format!(
                    "{step}.{key}: ours {} vs spec {}",
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null)
                ));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// The driver process

/// The default folder of `definitions.py`: `$WASM_CONFORM_COMPONENT_MODEL`
/// (the component-model repository) or `../shared/component-model`
/// relative to the repository, with `design/mvp/canonical-abi` appended.
pub fn default_defs_dir() -> PathBuf {
    let repo = std::env::var_os("WASM_CONFORM_COMPONENT_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/component-model")
        });
    repo.join("design/mvp/canonical-abi")
}

/// The driver script, `scripts/canonical-abi-oracle.py` of this repository.
pub fn driver_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/canonical-abi-oracle.py")
}

/// A running `python3 scripts/canonical-abi-oracle.py DIR`.
pub struct Spec {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Spec {
    /// Starts the driver over the `definitions.py` in `defs_dir`.
    pub fn start(defs_dir: &Path) -> Result<Spec, String> {
        if !defs_dir.join("definitions.py").is_file() {
            return Err(format!("{}: no definitions.py", defs_dir.display()));
        }
        let mut child = Command::new("python3")
            .arg(driver_script())
            .arg(defs_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3: {e}"))?;
        let stdin = child.stdin.take().ok_or("python3: no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("python3: no stdout")?);
        Ok(Spec {
            child,
            stdin,
            stdout,
        })
    }

    /// The driver's answer to one request.
    pub fn ask(&mut self, request: &Json) -> Result<Json, String> {
        let io = |e: std::io::Error| format!("canonical-abi-oracle.py: {e}");
        writeln!(self.stdin, "{request}").map_err(io)?;
        self.stdin.flush().map_err(io)?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line).map_err(io)? == 0 {
            return Err("canonical-abi-oracle.py exited".into());
        }
        serde_json::from_str(&line).map_err(|e| format!("canonical-abi-oracle.py answer: {e}"))
    }
}

impl Drop for Spec {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// The generator

/// Bounds of the generator.
const MAX_DEPTH: u32 = 3;
const MAX_ELEMS: u64 = 4;

/// `n` distinct labels.
fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// A random type of nesting at most `depth`.
pub fn gen_type(rng: &mut Rng, depth: u32) -> ValType {
    let leaf = depth == 0 || rng.chance(2, 5);
    if leaf {
        return match rng.below(16) {
            0..=12 => PRIMS[rng.below(13) as usize].1.clone(),
            13 => ValType::Own(ResourceType(rng.below(2) as u32)),
            14 => ValType::Borrow(ResourceType(rng.below(2) as u32)),
            _ => {
                // flags of 1 to 32 labels, biased to the size boundaries
                let n = [1, 8, 9, 16, 17, 32, 1 + rng.below(32)][rng.below(7) as usize] as usize;
                ValType::Flags(labels("g", n))
            }
        };
    }
    let d = depth - 1;
    let some = |rng: &mut Rng| -> Option<ValType> {
        if rng.chance(1, 3) {
            None
        } else {
            Some(gen_type(rng, d))
        }
    };
    let n = |rng: &mut Rng| 1 + rng.below(MAX_ELEMS) as usize;
    match rng.below(10) {
        0 => ValType::List(Box::new(gen_type(rng, d))),
        1 => ValType::FixedList(Box::new(gen_type(rng, d)), 1 + rng.below(MAX_ELEMS) as u32),
        2 => {
            let k = n(rng);
            ValType::Record(
                labels("f", k)
                    .into_iter()
                    .map(|l| (l, gen_type(rng, d)))
                    .collect(),
            )
        }
        3 => {
            let k = n(rng);
            ValType::Tuple((0..k).map(|_| gen_type(rng, d)).collect())
        }
        4 => {
            let k = n(rng);
            ValType::Variant(labels("c", k).into_iter().map(|l| (l, some(rng))).collect())
        }
        5 => {
            // enums around the u8/u16 discriminant boundary now and then
            let k = if rng.chance(1, 8) {
                255 + rng.below(3) as usize
            } else {
                n(rng)
            };
            ValType::Enum(labels("e", k))
        }
        6 => ValType::Option(Box::new(gen_type(rng, d))),
        7 => ValType::Result(some(rng).map(Box::new), some(rng).map(Box::new)),
        8 => ValType::Map(Box::new(gen_type(rng, d)), Box::new(gen_type(rng, d))),
        _ => ValType::String,
    }
}

/// A random character: ASCII, Latin-1, BMP (no surrogates) or astral.
fn gen_char(rng: &mut Rng) -> char {
    let c = match rng.below(4) {
        0 => rng.below(0x80) as u32,
        1 => 0x80 + rng.below(0x80) as u32,
        2 => {
            let c = 0x100 + rng.below(0xFFFF - 0x100 - 0x800) as u32;
            if c >= 0xD800 { c + 0x800 } else { c }
        }
        _ => 0x10000 + rng.below(0x100000) as u32,
    };
    char::from_u32(c).unwrap_or('?')
}

/// Interesting bits for an integer of `bits` bits.
fn gen_bits(rng: &mut Rng, bits: u32) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let x = match rng.below(5) {
        0 => 0,
        1 => u64::MAX,
        2 => 1 << rng.below(u64::from(bits)),
        3 => rng.below(256),
        _ => rng.next(),
    };
    x & mask
}

/// A random float's bits: NaNs with payloads, infinities, zeros, normal.
fn gen_float(rng: &mut Rng, bits: u32) -> u64 {
    let (exp, frac) = if bits == 32 { (8, 23) } else { (11, 52) };
    let sign = rng.below(2) << (bits - 1);
    let all_exp = ((1u64 << exp) - 1) << frac;
    match rng.below(5) {
        // a NaN with a random non-zero payload (quiet or signalling)
        0 => sign | all_exp | (1 + rng.below((1 << frac) - 1)),
        1 => sign | all_exp,
        2 => sign,
        _ => gen_bits(rng, bits),
    }
}

/// A random value of type `t`.
pub fn gen_value(rng: &mut Rng, t: &ValType) -> Value {
    let n = |rng: &mut Rng| rng.below(MAX_ELEMS + 1) as usize;
    match t {
        ValType::Bool => Value::Bool(rng.chance(1, 2)),
        ValType::S8 => Value::S8(gen_bits(rng, 8) as i8),
        ValType::U8 => Value::U8(gen_bits(rng, 8) as u8),
        ValType::S16 => Value::S16(gen_bits(rng, 16) as i16),
        ValType::U16 => Value::U16(gen_bits(rng, 16) as u16),
        ValType::S32 => Value::S32(gen_bits(rng, 32) as i32),
        ValType::U32 => Value::U32(gen_bits(rng, 32) as u32),
        ValType::S64 => Value::S64(gen_bits(rng, 64) as i64),
        ValType::U64 => Value::U64(gen_bits(rng, 64)),
        ValType::F32 => Value::F32(gen_float(rng, 32) as u32),
        ValType::F64 => Value::F64(gen_float(rng, 64)),
        ValType::Char => Value::Char(gen_char(rng)),
        ValType::String => {
            // mostly one character class, so that all-ASCII and
            // all-Latin-1 strings (the optimistic paths) are common
            let class = rng.below(6);
            let len = rng.below(12);
            Value::String(
                (0..len)
                    .map(|_| match class {
                        0 => char::from_u32(rng.below(0x80) as u32).unwrap_or('a'),
                        1 => char::from_u32(rng.below(0x100) as u32).unwrap_or('a'),
                        _ => gen_char(rng),
                    })
                    .collect(),
            )
        }
        ValType::List(e) => {
            let k = n(rng);
            Value::List((0..k).map(|_| gen_value(rng, e)).collect())
        }
        ValType::FixedList(e, len) => Value::List((0..*len).map(|_| gen_value(rng, e)).collect()),
        ValType::Map(k, v) => {
            let m = n(rng);
            Value::Map(
                (0..m)
                    .map(|_| (gen_value(rng, k), gen_value(rng, v)))
                    .collect(),
            )
        }
        ValType::Record(fs) => Value::Record(
            fs.iter()
                .map(|(l, t)| (l.clone(), gen_value(rng, t)))
                .collect(),
        ),
        ValType::Tuple(ts) => Value::Tuple(ts.iter().map(|t| gen_value(rng, t)).collect()),
        ValType::Variant(cs) => {
            let (l, t) = &cs[rng.below(cs.len() as u64) as usize];
            Value::Variant(l.clone(), t.as_ref().map(|t| Box::new(gen_value(rng, t))))
        }
        ValType::Enum(ls) => Value::Enum(ls[rng.below(ls.len() as u64) as usize].clone()),
        ValType::Option(t) => Value::Option(rng.chance(2, 3).then(|| Box::new(gen_value(rng, t)))),
        ValType::Result(ok, err) => {
            let gen_p = |rng: &mut Rng, t: &Option<Box<ValType>>| {
                t.as_deref().map(|t| Box::new(gen_value(rng, t)))
            };
            if rng.chance(1, 2) {
                Value::Result(Ok(gen_p(rng, ok)))
            } else {
                Value::Result(Err(gen_p(rng, err)))
            }
        }
        ValType::Flags(ls) => {
            Value::Flags(ls.iter().filter(|_| rng.chance(1, 2)).cloned().collect())
        }
        ValType::Own(_) => Value::Own(gen_bits(rng, 32) as u32),
        ValType::Borrow(_) => Value::Borrow(gen_bits(rng, 32) as u32),
        _ => Value::Bool(false),
    }
}

const ENCODINGS: [StringEncoding; 3] = [
    StringEncoding::Utf8,
    StringEncoding::Utf16,
    StringEncoding::Latin1Utf16,
];

/// The case number `i` of the sequence of `seed`.
pub fn gen_case(seed: u64, i: u64) -> AbiCase {
    let mut rng = Rng::new(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let depth = 1 + rng.below(u64::from(MAX_DEPTH)) as u32;
    let ty = gen_type(&mut rng, depth);
    if rng.chance(1, 4) {
        return gen_lift_case(&mut rng, ty);
    }
    let value = gen_value(&mut rng, &ty);
    let encoding = ENCODINGS[rng.below(3) as usize];
    let src = (ENCODINGS[rng.below(3) as usize], rng.chance(1, 3));
    // Mostly room for everything; sometimes so little that realloc'd
    // regions and return areas fall off the end.
    let memory = match rng.below(8) {
        0 => rng.below(64) as usize,
        1 => 64 + rng.below(192) as usize,
        _ => 4096,
    };
    let size = abi::elem_size(&ty);
    let align = abi::alignment(&ty);
    let mode = if rng.chance(1, 2) {
        Mode::Param
    } else {
        Mode::Result
    };
    // The return area: aligned and in bounds, or now and then not.
    let retptr = match rng.below(10) {
        0 => rng.below(memory as u64 + 16) as u32,
        _ => abi::align_to(rng.below(64), align) as u32,
    };
    let start = match rng.below(10) {
        0 => rng.below(memory as u64 + 8),
        _ => 64 + abi::align_to(size, 8) + rng.below(16),
    };
    let misalign = rng.chance(1, 10).then(|| rng.below(3) as usize);
    // store/load need an aligned, in-bounds pointer (definitions.py asserts it).
    let store_at = {
        let p = abi::align_to(rng.below(64), align);
        (p.saturating_add(size) <= memory as u64).then_some(p)
    };
    AbiCase {
        ty,
        value,
        encoding,
        src,
        memory,
        start,
        misalign,
        mode,
        retptr,
        store_at,
        fill: Vec::new(),
        flat: Vec::new(),
    }
}

/// A lift-mode case: memory words and flat values that are mostly small
/// (plausible pointers, lengths, discriminants, handle indices, code
/// points), sometimes arbitrary.
fn gen_lift_case(rng: &mut Rng, ty: ValType) -> AbiCase {
    let memory = 64 + rng.below(448) as usize;
    let small = |rng: &mut Rng| -> u64 {
        match rng.below(8) {
            0 => rng.next(),
            1 => 0xD800 + rng.below(0x800),
            2 => 0x8000_0000 | rng.below(8),
            3 => rng.below(3),
            _ => rng.below(memory as u64 + 4),
        }
    };
    let mut fill = vec![0u8; memory];
    for w in fill.chunks_mut(4) {
        let x = if rng.chance(1, 4) {
            // text: ASCII, Latin-1, UTF-8 or UTF-16 fragments
            [b'a' + rng.below(26) as u8, rng.below(256) as u8, 0xc3, 0xa9]
        } else {
            (small(rng) as u32).to_le_bytes()
        };
        w.copy_from_slice(&x[..w.len()]);
    }
    let types = abi::flatten_types(std::slice::from_ref(&ty), MAX_FLAT_PARAMS)
        .unwrap_or_else(|| vec![abi::CoreType::I32]);
    let flat = types
        .iter()
        .map(|t| match t {
            abi::CoreType::I32 => Val::I32(small(rng) as u32),
            abi::CoreType::I64 => Val::I64(small(rng)),
            abi::CoreType::F32 => Val::F32(gen_float(rng, 32) as u32),
            abi::CoreType::F64 => Val::F64(gen_float(rng, 64)),
        })
        .collect();
    let (size, align) = (abi::elem_size(&ty), abi::alignment(&ty));
    let p = abi::align_to(rng.below(64), align);
    let store_at = (p.saturating_add(size) <= memory as u64).then_some(p);
    AbiCase {
        ty,
        value: Value::Bool(false),
        encoding: ENCODINGS[rng.below(3) as usize],
        src: (StringEncoding::Utf8, false),
        memory,
        start: 0,
        misalign: None,
        mode: Mode::Lift,
        retptr: 0,
        store_at,
        fill,
        flat,
    }
}

// ---------------------------------------------------------------------------
// The loop

/// How long [`run`] goes on.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The seed of the case sequence.
    pub seed: u64,
    /// Stop after this many cases (0: no limit).
    pub cases: u64,
    /// Stop after this long (None: no limit).
    pub time: Option<Duration>,
    /// Where differences are saved (None: not saved).
    pub out: Option<PathBuf>,
    /// The folder of `definitions.py`.
    pub defs_dir: PathBuf,
}

/// What [`run`] found.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Cases run.
    pub cases: u64,
    /// Cases that differed.
    pub differences: u64,
    /// Cases where the lowering trapped (on both sides).
    pub lower_traps: u64,
    /// Cases whose lifting (round trip or lift mode) succeeded.
    pub lifts: u64,
    /// Our traps by kind, over all steps (the generator's coverage).
    pub traps: std::collections::BTreeMap<String, u64>,
    /// Seconds taken.
    pub seconds: f64,
    /// The first few differences, described.
    pub first: Vec<String>,
}

impl Summary {
    /// Coverage: successful lifts and traps by kind.
    pub fn coverage(&self) -> String {
        let traps: Vec<String> = self.traps.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!(
            "abi coverage: {} lifts succeeded, {} lowerings trapped; traps: {}",
            self.lifts,
            self.lower_traps,
            traps.join(", ")
        )
    }

    /// The closing line: `abi: N cases, X cases/s, D differences`.
    pub fn line(&self) -> String {
        let rate = if self.seconds > 0.0 {
            self.cases as f64 / self.seconds
        } else {
            0.0
        };
        format!(
            "abi: {} cases, {:.0} cases/s, {} differences",
            self.cases, rate, self.differences
        )
    }
}

/// A saved difference: the case, both answers, and the difference.
fn record(case: &AbiCase, mine: &Json, theirs: &Json, diff: &str) -> Json {
    json!({ "case": case.request(), "ours": mine, "spec": theirs, "difference": diff })
}

/// Runs the case sequence of `opts.seed` against the specification.
pub fn run(opts: &RunOptions) -> Result<Summary, String> {
    let mut spec = Spec::start(&opts.defs_dir)?;
    let started = Instant::now();
    let mut s = Summary::default();
    let mut i = 0u64;
    while (opts.cases == 0 || i < opts.cases) && opts.time.is_none_or(|t| started.elapsed() < t) {
        let case = gen_case(opts.seed, i);
        let mine = ours(&case);
        let theirs = spec.ask(&case.request())?;
        s.cases += 1;
        if !mine["lower"]["trap"].is_null() {
            s.lower_traps += 1;
        }
        if !mine["lift"]["value"].is_null() {
            s.lifts += 1;
        }
        for step in ["lower", "lift", "store", "load"] {
            if let Some(t) = mine[step]["trap"].as_str() {
                let kind = t.split([':', '(', ' ', '{']).nth(1).unwrap_or(t);
                *s.traps.entry(kind.to_string()).or_default() += 1;
            }
        }
        if let Some(diff) = difference(&mine, &theirs) {
            s.differences += 1;
            if s.first.len() < 5 {
                s.first
                    .push(format!("case {i} (seed {}): {diff}", opts.seed));
            }
            if let Some(out) = &opts.out {
                std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
                let path = out.join(format!("abi-{}-{i}.json", opts.seed));
                let text = serde_json::to_string_pretty(&record(&case, &mine, &theirs, &diff))
                    .unwrap_or_default();
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        i += 1;
    }
    s.seconds = started.elapsed().as_secs_f64();
    Ok(s)
}

/// Re-runs a saved difference (its `"case"`) on both sides; returns the
/// report and whether they still differ.
pub fn replay_file(path: &Path, defs_dir: &Path) -> Result<(String, bool), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let saved: Json =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let request = saved.get("case").unwrap_or(&saved);
    let case = AbiCase::from_request(request)?;
    let mut spec = Spec::start(defs_dir)?;
    let mine = ours(&case);
    let theirs = spec.ask(&case.request())?;
    let diff = difference(&mine, &theirs);
    let report = format!(
        "case: {}\nours: {}\nspec: {}\n{}",
        case.request(),
        mine,
        theirs,
        diff.as_deref().unwrap_or("no difference")
    );
    Ok((report, diff.is_some()))
}
