//! The external engine: any runtime behind a small driver process, spoken to
//! in JSON lines over the child's stdin and stdout (protocol 1, specified in
//! `docs/protocol.md`).
//!
//! One child per engine value; runners create an engine per script, so every
//! file starts with a fresh child. A crash, a hang past the per-request
//! timeout, or a line that is not a response ends the child: the request
//! gets an `EngineError` outcome (its text says which) and every later
//! request of that engine gets one too, until the next file's new engine.

use crate::outcome::{ModuleError, Outcome, Trap, TrapKind};
use crate::value::{NullKind, RefValue, Value};
use crate::{Budget, Engine, InstanceId, InstanceState};
use serde_json::{Map, Value as Json, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The protocol version this host speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// Default per-request timeout; `WASM_CONFORM_EXTERNAL_TIMEOUT` (seconds) overrides it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Lines of the child's stderr kept for error messages.
const STDERR_TAIL: usize = 20;

/// An engine in a child process.
pub struct ExternalEngine {
    argv: Vec<String>,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    next_id: u64,
    timeout: Duration,
    /// Why the child can no longer be used.
    dead: Option<String>,
    name: String,
    version: String,
    config: Vec<(String, String)>,
    threads: bool,
}

impl Drop for ExternalEngine {
    fn drop(&mut self) {
        // Closing stdin asks the driver to exit; kill in case it does not.
        self.stdin.take();
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(1));
            if !matches!(self.child.try_wait(), Ok(Some(_))) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// Splits a command line into words: whitespace separates, single and
/// double quotes group, a backslash escapes the next character.
pub fn split_command(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn request_timeout() -> Duration {
    std::env::var("WASM_CONFORM_EXTERNAL_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_TIMEOUT)
}

impl ExternalEngine {
    /// Starts `argv` and performs the `hello` handshake.
    pub fn spawn(argv: Vec<String>) -> Result<ExternalEngine, String> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| "empty external engine command".to_string())?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("external-engine stdout".into())
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if tx
                                .send(line.trim_end_matches(['\n', '\r']).to_string())
                                .is_err()
                            {
                                break;
                            }
                        }
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr.clone();
        std::thread::Builder::new()
            .name("external-engine stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr_pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut t) = tail.lock() {
                        if t.len() == STDERR_TAIL {
                            t.pop_front();
                        }
                        t.push_back(line);
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let mut engine = ExternalEngine {
            argv: argv.clone(),
            child,
            stdin,
            lines: rx,
            stderr,
            next_id: 0,
            timeout: request_timeout(),
            dead: None,
            name: "external".into(),
            version: String::new(),
            config: Vec::new(),
            threads: false,
        };
        let hello = engine
            .request("hello", json!({ "protocol": PROTOCOL_VERSION }))
            .map_err(|e| format!("{}: {e}", argv.join(" ")))?;
        let hello = hello
            .get("hello")
            .ok_or_else(|| format!("{}: no `hello` in the handshake reply", argv.join(" ")))?;
        let protocol = hello.get("protocol").and_then(Json::as_u64).unwrap_or(0);
        if protocol != PROTOCOL_VERSION {
            return Err(format!(
                "{}: driver speaks protocol {protocol}, this host speaks {PROTOCOL_VERSION}",
                argv.join(" ")
            ));
        }
        engine.name = hello
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or("external")
            .to_string();
        engine.version = hello
            .get("version")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        engine.threads = hello
            .get("threads")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        if let Some(cfg) = hello.get("config").and_then(Json::as_object) {
            engine.config = cfg
                .iter()
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), v)
                })
                .collect();
        }
        engine.config.push(("command".into(), argv.join(" ")));
        engine
            .config
            .push(("protocol".into(), PROTOCOL_VERSION.to_string()));
        Ok(engine)
    }

    fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Marks the child dead and kills it; returns the reason.
    fn kill(&mut self, why: String) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The stderr thread may still be draining the pipe.
        std::thread::sleep(Duration::from_millis(20));
        let tail = self.stderr_tail();
        let why = if tail.is_empty() {
            why
        } else {
            format!("{why}; driver stderr: {tail}")
        };
        self.dead = Some(why.clone());
        why
    }

    /// Sends one request and waits for its response (an object with the same `id`).
    fn request(&mut self, op: &str, mut fields: Json) -> Result<Map<String, Json>, String> {
        if let Some(why) = &self.dead {
            return Err(format!("driver unusable since an earlier failure: {why}"));
        }
        let id = self.next_id;
        self.next_id += 1;
        if let Some(obj) = fields.as_object_mut() {
            obj.insert("id".into(), id.into());
            obj.insert("op".into(), op.into());
        }
        let mut line = fields.to_string();
        line.push('\n');
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(line.as_bytes())
                .and_then(|_| stdin.flush())
                .map_err(|e| e.to_string()),
            None => Err("stdin closed".into()),
        };
        if let Err(e) = written {
            let status = self.child.try_wait().ok().flatten();
            return Err(self.kill(format!(
                "driver crashed (cannot write request: {e}; exit status {status:?})"
            )));
        }
        match self.lines.recv_timeout(self.timeout) {
            Ok(text) => {
                let parsed: Result<Map<String, Json>, _> = serde_json::from_str(&text);
                match parsed {
                    Ok(obj) if obj.get("id").and_then(Json::as_u64) == Some(id) => Ok(obj),
                    Ok(_) => Err(self.kill(format!(
                        "driver answered out of turn to request {id} ({op}): {}",
                        clip(&text)
                    ))),
                    Err(_) => Err(self.kill(format!(
                        "garbage line from driver for request {id} ({op}): {}",
                        clip(&text)
                    ))),
                }
            }
            Err(RecvTimeoutError::Timeout) => Err(self.kill(format!(
                "timeout: no answer to {op} within {:?}; driver killed",
                self.timeout
            ))),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                Err(self.kill(format!(
                    "driver crashed during {op} (exit status {})",
                    status.map_or("unknown".into(), |s| s.to_string())
                )))
            }
        }
    }

    fn module_request(&mut self, op: &str, bytes: &[u8]) -> Result<Map<String, Json>, ModuleError> {
        let resp = self
            .request(op, json!({ "module": base64_encode(bytes) }))
            .map_err(ModuleError::EngineError)?;
        if let Some(err) = resp.get("module_error") {
            return Err(module_error(err));
        }
        if let Some(e) = resp.get("error") {
            return Err(ModuleError::EngineError(text_of(e)));
        }
        Ok(resp)
    }

    fn outcome_request(&mut self, op: &str, fields: Json) -> Outcome {
        match self.request(op, fields) {
            Ok(resp) => outcome_from(&resp),
            Err(e) => Outcome::EngineError(e),
        }
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() > 200 {
        text.chars().take(200).collect::<String>() + "..."
    } else {
        text.to_string()
    }
}

fn text_of(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// Every trap kind, to parse the names drivers send.
const TRAP_KINDS: &[TrapKind] = &[
    TrapKind::Unreachable,
    TrapKind::MemoryOutOfBounds,
    TrapKind::TableOutOfBounds,
    TrapKind::UndefinedElement,
    TrapKind::UninitializedElement,
    TrapKind::IndirectCallTypeMismatch,
    TrapKind::IntegerDivideByZero,
    TrapKind::IntegerOverflow,
    TrapKind::InvalidConversionToInteger,
    TrapKind::NullReference,
    TrapKind::CastFailure,
    TrapKind::ArrayOutOfBounds,
    TrapKind::UnalignedAtomic,
    TrapKind::ExpectedSharedMemory,
    TrapKind::OutOfFuel,
    TrapKind::CallStackExhausted,
    TrapKind::UncaughtException,
    TrapKind::HostError,
];

/// A trap from `{"kind": NAME?, "message": TEXT}`: the kind by its
/// [`TrapKind::name`], else by the spec message prefix, else host error.
fn trap_from(v: &Json) -> Trap {
    let message = v.get("message").map(text_of).unwrap_or_default();
    let kind = v
        .get("kind")
        .and_then(Json::as_str)
        .and_then(|k| TRAP_KINDS.iter().copied().find(|t| t.name() == k))
        .or_else(|| TrapKind::from_spec_message(&message))
        .unwrap_or(TrapKind::HostError);
    Trap { kind, message }
}

fn outcome_from(resp: &Map<String, Json>) -> Outcome {
    if let Some(vals) = resp.get("returned") {
        let Some(list) = vals.as_array() else {
            return Outcome::EngineError(format!("`returned` is not a list: {vals}"));
        };
        let mut out = Vec::with_capacity(list.len());
        for v in list {
            match value_from_json(v) {
                Ok(v) => out.push(v),
                Err(e) => return Outcome::EngineError(e),
            }
        }
        return Outcome::Returned(out);
    }
    if let Some(t) = resp.get("trap") {
        return Outcome::Trapped(trap_from(t));
    }
    if let Some(t) = resp.get("exhausted") {
        let mut trap = trap_from(t);
        if trap.kind == TrapKind::HostError {
            trap.kind = TrapKind::CallStackExhausted;
        }
        return Outcome::Exhausted(trap);
    }
    if let Some(p) = resp.get("exception") {
        return Outcome::Exception(text_of(p));
    }
    if let Some(f) = resp.get("unsupported") {
        return Outcome::Unsupported(text_of(f));
    }
    if let Some(e) = resp.get("error") {
        return Outcome::EngineError(text_of(e));
    }
    Outcome::EngineError(format!(
        "response has no outcome: {}",
        clip(&Json::Object(resp.clone()).to_string())
    ))
}

fn module_error(err: &Json) -> ModuleError {
    let message = err.get("message").map(text_of).unwrap_or_default();
    match err.get("stage").and_then(Json::as_str).unwrap_or("") {
        "malformed" => ModuleError::Malformed(message),
        "invalid" => ModuleError::Invalid(message),
        "rejected" => ModuleError::Rejected(message),
        "unlinkable" => ModuleError::Unlinkable(message),
        "uninstantiable" => {
            let outcome = match err.get("outcome").and_then(Json::as_object) {
                Some(o) => outcome_from(o),
                None => Outcome::Trapped(trap_from(err)),
            };
            ModuleError::Uninstantiable(outcome)
        }
        "unsupported" => ModuleError::Unsupported(message),
        other => ModuleError::EngineError(format!("unknown stage {other:?}: {message}")),
    }
}

fn hex(v: &Json) -> Result<u128, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("bits must be a hex string, got {v}"))?;
    let digits = s.strip_prefix("0x").unwrap_or(s);
    u128::from_str_radix(digits, 16).map_err(|e| format!("bad bits {s:?}: {e}"))
}

/// Encodes a value as the protocol's JSON.
pub fn value_to_json(v: &Value) -> Json {
    match *v {
        Value::I32(b) => json!({"type": "i32", "bits": format!("0x{b:08x}")}),
        Value::I64(b) => json!({"type": "i64", "bits": format!("0x{b:016x}")}),
        Value::F32(b) => json!({"type": "f32", "bits": format!("0x{b:08x}")}),
        Value::F64(b) => json!({"type": "f64", "bits": format!("0x{b:016x}")}),
        Value::V128(b) => json!({"type": "v128", "bits": format!("0x{b:032x}")}),
        Value::Ref(r) => {
            let with_id = |kind: &str, id: Option<u64>| match id {
                Some(i) => json!({"type": "ref", "ref": kind, "id": i}),
                None => json!({"type": "ref", "ref": kind}),
            };
            match r {
                RefValue::Null(k) => json!({"type": "ref", "ref": "null", "heap": match k {
                    NullKind::Func => "func",
                    NullKind::Extern => "extern",
                    NullKind::Any => "any",
                    NullKind::Exn => "exn",
                    NullKind::Unknown => "unknown",
                }}),
                RefValue::Func(id) => with_id("func", id),
                RefValue::Extern(n) => json!({"type": "ref", "ref": "extern", "host": n}),
                RefValue::Host(n) => json!({"type": "ref", "ref": "host", "host": n}),
                RefValue::I31(n) => {
                    json!({"type": "ref", "ref": "i31", "bits": format!("0x{n:08x}")})
                }
                RefValue::Struct(id) => with_id("struct", id),
                RefValue::Array(id) => with_id("array", id),
                RefValue::Exn(id) => with_id("exn", id),
                RefValue::Opaque => json!({"type": "ref", "ref": "opaque"}),
            }
        }
    }
}

/// Decodes a value from the protocol's JSON.
pub fn value_from_json(v: &Json) -> Result<Value, String> {
    let ty = v.get("type").and_then(Json::as_str).unwrap_or("");
    let bits = || hex(v.get("bits").unwrap_or(&Json::Null));
    let narrow = |b: u128, max: u128| {
        if b <= max {
            Ok(b)
        } else {
            Err(format!("bits too wide for {ty}: {v}"))
        }
    };
    Ok(match ty {
        "i32" => Value::I32(narrow(bits()?, u32::MAX.into())? as u32),
        "i64" => Value::I64(narrow(bits()?, u64::MAX.into())? as u64),
        "f32" => Value::F32(narrow(bits()?, u32::MAX.into())? as u32),
        "f64" => Value::F64(narrow(bits()?, u64::MAX.into())? as u64),
        "v128" => Value::V128(bits()?),
        "ref" => {
            let id = v.get("id").and_then(Json::as_u64);
            let host = || {
                v.get("host")
                    .and_then(Json::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| format!("reference without a host number: {v}"))
            };
            Value::Ref(match v.get("ref").and_then(Json::as_str).unwrap_or("") {
                "null" => {
                    RefValue::Null(match v.get("heap").and_then(Json::as_str).unwrap_or("") {
                        "func" | "nofunc" => NullKind::Func,
                        "extern" | "noextern" => NullKind::Extern,
                        "any" | "none" | "eq" | "i31" | "struct" | "array" => NullKind::Any,
                        "exn" | "noexn" => NullKind::Exn,
                        _ => NullKind::Unknown,
                    })
                }
                "func" => RefValue::Func(id),
                "extern" => RefValue::Extern(host()?),
                "host" => RefValue::Host(host()?),
                "i31" => RefValue::I31(narrow(bits()?, 0x7fff_ffff)? as u32),
                "struct" => RefValue::Struct(id),
                "array" => RefValue::Array(id),
                "exn" => RefValue::Exn(id),
                "opaque" => RefValue::Opaque,
                other => return Err(format!("unknown reference kind {other:?}")),
            })
        }
        other => return Err(format!("unknown value type {other:?}")),
    })
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional, whitespace ignored).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut n = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return Err(format!("bad base64 character {:?}", c as char)),
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        0 => {}
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err("truncated base64".into()),
    }
    Ok(out)
}

impl Engine for ExternalEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> String {
        self.version.clone()
    }

    fn config(&self) -> Vec<(String, String)> {
        self.config.clone()
    }

    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        self.module_request("validate", bytes).map(|_| ())
    }

    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        let resp = self.module_request("instantiate", bytes)?;
        resp.get("instance")
            .and_then(Json::as_u64)
            .map(|i| i as InstanceId)
            .ok_or_else(|| {
                ModuleError::EngineError("instantiate answered without `instance`".into())
            })
    }

    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let resp = self.request("register", json!({ "name": name, "instance": instance }))?;
        match resp.get("error") {
            Some(e) => Err(text_of(e)),
            None => Ok(()),
        }
    }

    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome {
        let args: Vec<Json> = args.iter().map(value_to_json).collect();
        self.outcome_request(
            "invoke",
            json!({ "instance": instance, "export": export, "args": args }),
        )
    }

    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome {
        self.outcome_request(
            "get_global",
            json!({ "instance": instance, "export": export }),
        )
    }

    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String> {
        let resp = self.request("snapshot", json!({ "instance": instance }))?;
        if let Some(e) = resp.get("error") {
            return Err(text_of(e));
        }
        let state = resp
            .get("state")
            .ok_or("snapshot answered without `state`")?;
        let list = |key: &str| {
            state
                .get(key)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let name = |e: &Json| e.get("name").map(text_of).unwrap_or_default();
        let mut out = InstanceState::default();
        for g in list("globals") {
            out.globals.push((
                name(&g),
                value_from_json(g.get("value").unwrap_or(&Json::Null))?,
            ));
        }
        for m in list("memories") {
            let bytes = base64_decode(m.get("bytes").and_then(Json::as_str).unwrap_or(""))?;
            out.memories.push((name(&m), bytes));
        }
        for t in list("tables") {
            let values = t
                .get("values")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(value_from_json)
                .collect::<Result<Vec<_>, _>>()?;
            out.tables.push((name(&t), values));
        }
        Ok(out)
    }

    fn set_budget(&mut self, budget: Budget) {
        // Drivers may ignore fuel; a failure here shows up on the next request.
        let _ = self.request("set_budget", json!({ "fuel": budget.fuel }));
    }

    fn supports_threads(&self) -> bool {
        self.threads
    }
}

impl std::fmt::Debug for ExternalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalEngine")
            .field("argv", &self.argv)
            .field("name", &self.name)
            .field("dead", &self.dead)
            .finish()
    }
}

/// The Node.js driver shipped in this repository (`drivers/node/driver.mjs`),
/// compiled in so the binary works from any folder.
const NODE_DRIVER: &str = include_str!("../../drivers/node/driver.mjs");

/// Where the Node.js driver is: `$WASM_CONFORM_NODE_DRIVER`, else the
/// checkout's `drivers/node/driver.mjs`, else a copy of the compiled-in
/// driver in the temporary folder.
pub fn node_driver_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WASM_CONFORM_NODE_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let in_tree = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../drivers/node/driver.mjs");
    if in_tree.is_file() {
        return Ok(in_tree);
    }
    static COPY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    COPY.get_or_init(|| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in NODE_DRIVER.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        let path = std::env::temp_dir().join(format!("wasm-conform-node-driver-{hash:016x}.mjs"));
        if !path.is_file() {
            let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
            std::fs::write(&tmp, NODE_DRIVER).map_err(|e| format!("{}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(path)
    })
    .clone()
}

/// The Node.js binary: `$WASM_CONFORM_NODE`, else `node` on the PATH.
fn node_binary() -> String {
    std::env::var("WASM_CONFORM_NODE").unwrap_or_else(|_| "node".into())
}

/// The V8 flags the driver asks for (proposals behind flags in this Node),
/// found once per process by running `node driver.mjs --print-flags`.
fn node_flags(driver: &PathBuf) -> Result<Vec<String>, String> {
    static FLAGS: OnceLock<Result<Vec<String>, String>> = OnceLock::new();
    FLAGS
        .get_or_init(|| {
            let out = Command::new(node_binary())
                .arg(driver)
                .arg("--print-flags")
                .stdin(Stdio::null())
                .output()
                .map_err(|e| {
                    format!("cannot run {}: {e} (is Node.js installed?)", node_binary())
                })?;
            if !out.status.success() {
                return Err(format!(
                    "{} {} --print-flags failed: {}",
                    node_binary(),
                    driver.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect())
        })
        .clone()
}

/// The `node` engine: V8 through the Node.js driver, with the flags that
/// enable the proposals this Node has behind flags.
pub fn node_engine() -> Result<ExternalEngine, String> {
    let driver = node_driver_path()?;
    let mut argv = vec![node_binary()];
    argv.extend(node_flags(&driver)?);
    argv.push(driver.display().to_string());
    ExternalEngine::spawn(argv)
}

/// The `external:COMMAND` engine.
pub fn external_engine(command: &str) -> Result<ExternalEngine, String> {
    let argv = split_command(command);
    if argv.is_empty() {
        return Err("external:COMMAND needs a command".into());
    }
    ExternalEngine::spawn(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"\0asm"), "AGFzbQ==");
    }

    #[test]
    fn values_round_trip_with_exact_bits() {
        let values = [
            Value::I32(0xffff_ffff),
            Value::I64(0x8000_0000_0000_0001),
            Value::F32(0x7fa0_0001),
            Value::F64(0xfff4_0000_0000_0001),
            Value::V128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
            Value::Ref(RefValue::Null(NullKind::Func)),
            Value::Ref(RefValue::Extern(7)),
            Value::Ref(RefValue::Func(Some(3))),
            Value::Ref(RefValue::I31(0x7fff_ffff)),
        ];
        for v in values {
            assert_eq!(value_from_json(&value_to_json(&v)).unwrap(), v, "{v}");
        }
        assert!(value_from_json(&json!({"type": "i32", "bits": "0x100000000"})).is_err());
    }

    #[test]
    fn command_splitting() {
        assert_eq!(
            split_command(r#"python3 "my driver.py" --x 'a b' c\ d"#),
            vec!["python3", "my driver.py", "--x", "a b", "c d"]
        );
    }

    fn sh(script: &str) -> Result<ExternalEngine, String> {
        ExternalEngine::spawn(vec!["sh".into(), "-c".into(), script.into()])
    }

    const HELLO: &str =
        r#"read l; echo '{"id":0,"hello":{"protocol":1,"name":"fake","version":"9"}}'; "#;

    #[test]
    fn crash_hang_and_garbage_are_engine_errors() {
        // Crash: exits after the handshake.
        let mut e = sh(&format!("{HELLO} read l; exit 3")).unwrap();
        assert_eq!(e.name(), "fake");
        let out = e.invoke(0, "f", &[]);
        assert!(
            matches!(&out, Outcome::EngineError(m) if m.contains("crashed")),
            "{out}"
        );
        assert!(matches!(e.invoke(0, "f", &[]), Outcome::EngineError(m) if m.contains("earlier")));
        // Garbage.
        let mut e = sh(&format!("{HELLO} read l; echo 'not json'; sleep 5")).unwrap();
        let out = e.invoke(0, "f", &[]);
        assert!(
            matches!(&out, Outcome::EngineError(m) if m.contains("garbage")),
            "{out}"
        );
        // Hang.
        let mut e = sh(&format!("{HELLO} read l; sleep 30")).unwrap();
        e.timeout = Duration::from_millis(300);
        let t = std::time::Instant::now();
        let out = e.get_global(0, "g");
        assert!(
            matches!(&out, Outcome::EngineError(m) if m.contains("timeout")),
            "{out}"
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        // Wrong protocol.
        let err = sh(r#"read l; echo '{"id":0,"hello":{"protocol":99}}'"#).unwrap_err();
        assert!(err.contains("protocol 99"), "{err}");
    }

    #[test]
    fn responses_map_to_outcomes() {
        let script = format!(
            "{HELLO} {}",
            r#"read l; echo '{"id":1,"returned":[{"type":"f32","bits":"0x7fa00000"}]}';
               read l; echo '{"id":2,"trap":{"message":"integer divide by zero"}}';
               read l; echo '{"id":3,"module_error":{"stage":"uninstantiable","outcome":{"trap":{"kind":"unreachable","message":"unreachable executed"}}}}';
               read l; echo '{"id":4,"instance":5}';
               read l"#
        );
        let mut e = sh(&script).unwrap();
        assert_eq!(
            e.invoke(0, "f", &[]),
            Outcome::Returned(vec![Value::F32(0x7fa0_0000)])
        );
        assert!(
            matches!(e.invoke(0, "f", &[]), Outcome::Trapped(t) if t.kind == TrapKind::IntegerDivideByZero)
        );
        assert!(matches!(
            e.instantiate(b"\0asm"),
            Err(ModuleError::Uninstantiable(Outcome::Trapped(t))) if t.kind == TrapKind::Unreachable
        ));
        assert_eq!(e.instantiate(b"\0asm"), Ok(5));
    }

    #[test]
    fn node_reports_null_table_elements_in_their_tables_family() {
        let mut node = match node_engine() {
            Ok(e) => e,
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                return eprintln!("skipping: no node engine ({e})");
            }
            Err(e) => panic!("the node engine is required under CI=true: {e}"),
        };
        // (Node 20's V8 rejects tables with an initialiser expression.)
        let wasm = crate::oracle::case::assemble(
            r#"(module
                 (table (export "e") 2 externref)
                 (table (export "f") 1 funcref))"#,
        )
        .unwrap();
        let id = node.instantiate(&wasm).unwrap();
        let state = node.snapshot(id).unwrap();
        let null = |k| Value::Ref(RefValue::Null(k));
        assert_eq!(
            state.tables,
            [
                ("e".to_string(), vec![null(NullKind::Extern); 2]),
                ("f".to_string(), vec![null(NullKind::Func)]),
            ]
        );
    }
}
