//! `wasi:filesystem` (types, preopens) at 0.2 and 0.3 over the capability
//! file-system layer of preview1 ([`WasiDir`], [`WasiFile`]): one layer,
//! the same backends and the same sandbox rules for every version (a path
//! never leaves the directory of its descriptor: `not-permitted`).
//!
//! The two versions share the descriptor logic and differ in their types
//! ([`Fs`]): 0.2's `error-code` and `descriptor-type` are enums, its
//! timestamps are `wasi:clocks/wall-clock.datetime`, its functions are
//! synchronous, and its streams are `wasi:io` resources (file streams of
//! the host's table); 0.3's functions are `async`, and those taking or
//! returning `stream`/`future` values trap until the VM has them.

use super::*;

/// wasi:filesystem `error-code`: the preview1 errno each case stands for.
/// An errno not listed is `other(some(name))`.
const ERROR_CODES: &[(Errno, &str)] = &[
    (errno::ACCES, "access"),
    (errno::AGAIN, "would-block"),
    (errno::ALREADY, "already"),
    (errno::BADF, "bad-descriptor"),
    (errno::BUSY, "busy"),
    (errno::DEADLK, "deadlock"),
    (errno::DQUOT, "quota"),
    (errno::EXIST, "exist"),
    (errno::FBIG, "file-too-large"),
    (errno::ILSEQ, "illegal-byte-sequence"),
    (errno::INPROGRESS, "in-progress"),
    (errno::INTR, "interrupted"),
    (errno::INVAL, "invalid"),
    (errno::IO, "io"),
    (errno::ISDIR, "is-directory"),
    (errno::LOOP, "loop"),
    (errno::MLINK, "too-many-links"),
    (errno::MSGSIZE, "message-size"),
    (errno::NAMETOOLONG, "name-too-long"),
    (errno::NODEV, "no-device"),
    (errno::NOENT, "no-entry"),
    (errno::NOLCK, "no-lock"),
    (errno::NOMEM, "insufficient-memory"),
    (errno::NOSPC, "insufficient-space"),
    (errno::NOTDIR, "not-directory"),
    (errno::NOTEMPTY, "not-empty"),
    (errno::NOTRECOVERABLE, "not-recoverable"),
    (errno::NOTSUP, "unsupported"),
    (errno::NOSYS, "unsupported"),
    (errno::NOTTY, "no-tty"),
    (errno::NXIO, "no-such-device"),
    (errno::OVERFLOW, "overflow"),
    (errno::PERM, "not-permitted"),
    (errno::NOTCAPABLE, "not-permitted"),
    (errno::PIPE, "pipe"),
    (errno::ROFS, "read-only"),
    (errno::SPIPE, "invalid-seek"),
    (errno::TXTBSY, "text-file-busy"),
    (errno::XDEV, "cross-device"),
];

/// The cases of `error-code`, in WIT order (0.3 drops `would-block`).
const ERROR_CASES: &[&str] = &[
    "access",
    "would-block",
    "already",
    "bad-descriptor",
    "busy",
    "deadlock",
    "quota",
    "exist",
    "file-too-large",
    "illegal-byte-sequence",
    "in-progress",
    "interrupted",
    "invalid",
    "io",
    "is-directory",
    "loop",
    "too-many-links",
    "message-size",
    "name-too-long",
    "no-device",
    "no-entry",
    "no-lock",
    "insufficient-memory",
    "insufficient-space",
    "not-directory",
    "not-empty",
    "not-recoverable",
    "unsupported",
    "no-tty",
    "no-such-device",
    "overflow",
    "not-permitted",
    "pipe",
    "read-only",
    "invalid-seek",
    "text-file-busy",
    "cross-device",
];

/// `descriptor-type` cases by preview1 `filetype` (anything else: `other(none)`).
const DESCRIPTOR_TYPES: &[(u8, &str)] = &[
    (wt::filetype::BLOCK_DEVICE, "block-device"),
    (wt::filetype::CHARACTER_DEVICE, "character-device"),
    (wt::filetype::DIRECTORY, "directory"),
    (wt::filetype::SYMBOLIC_LINK, "symbolic-link"),
    (wt::filetype::REGULAR_FILE, "regular-file"),
    (wt::filetype::SOCKET_DGRAM, "socket"),
    (wt::filetype::SOCKET_STREAM, "socket"),
];

const DESCRIPTOR_FLAGS: &[&str] = &[
    "read",
    "write",
    "file-integrity-sync",
    "data-integrity-sync",
    "requested-write-sync",
    "mutate-directory",
];

/// The version a set of filesystem functions is registered for: its types.
#[derive(Clone, Copy)]
pub(super) struct Fs {
    /// 0.3.0 (else 0.2.x).
    pub p3: bool,
}

impl Fs {
    /// `error-code`: 0.2 an enum, 0.3 a variant ending in `other(option<string>)`.
    fn error_code_type(self) -> ValType {
        let cases = ERROR_CASES
            .iter()
            .filter(|c| !self.p3 || **c != "would-block");
        if self.p3 {
            let mut v: Vec<(&str, Option<ValType>)> = cases.map(|c| (*c, None)).collect();
            v.push(("other", Some(option(T::String))));
            variant(&v)
        } else {
            enum_(&cases.copied().collect::<Vec<_>>())
        }
    }

    /// An errno as an `error-code`; one with no case is 0.3's
    /// `other(some(name))`, 0.2's `io`.
    fn error_value(self, e: Errno) -> Value {
        let case = ERROR_CODES
            .iter()
            .find(|(n, c)| *n == e && (!self.p3 || *c != "would-block"))
            .map(|(_, c)| *c);
        match (self.p3, case) {
            (true, Some(c)) => Value::Variant(c.to_string(), None),
            (true, None) => Value::Variant(
                "other".into(),
                Some(Box::new(some(Value::String(errno::name(e).to_string())))),
            ),
            (false, c) => Value::Enum(c.unwrap_or("io").to_string()),
        }
    }

    /// `descriptor-type`: 0.2 an enum starting with `unknown`, 0.3 a
    /// variant ending in `other(option<string>)`.
    fn descriptor_type_type(self) -> ValType {
        const CASES: &[&str] = &[
            "block-device",
            "character-device",
            "directory",
            "fifo",
            "symbolic-link",
            "regular-file",
            "socket",
        ];
        if self.p3 {
            let mut v: Vec<(&str, Option<ValType>)> = CASES.iter().map(|c| (*c, None)).collect();
            v.push(("other", Some(option(T::String))));
            variant(&v)
        } else {
            let mut v = vec!["unknown"];
            v.extend_from_slice(CASES);
            enum_(&v)
        }
    }

    fn descriptor_type_value(self, ft: u8) -> Value {
        let case = DESCRIPTOR_TYPES
            .iter()
            .find(|(t, _)| *t == ft)
            .map(|(_, c)| *c);
        match (self.p3, case) {
            (true, Some(c)) => Value::Variant(c.to_string(), None),
            (true, None) => Value::Variant("other".into(), Some(Box::new(Value::Option(None)))),
            (false, c) => Value::Enum(c.unwrap_or("unknown").to_string()),
        }
    }

    /// A point in time: 0.2 `wasi:clocks/wall-clock.datetime` (u64
    /// seconds), 0.3 `wasi:clocks/system-clock.instant` (s64 seconds).
    fn time_type(self) -> ValType {
        if self.p3 {
            instant_p3()
        } else {
            rec(&[("seconds", T::U64), ("nanoseconds", T::U32)])
        }
    }

    fn time_value(self, ns: u64) -> Value {
        if self.p3 {
            instant_value(ns)
        } else {
            record(vec![
                ("seconds", Value::U64(ns / 1_000_000_000)),
                ("nanoseconds", Value::U32((ns % 1_000_000_000) as u32)),
            ])
        }
    }

    /// A `result<T, error-code>` value.
    fn result(self, r: Result<Option<Value>, Errno>) -> Result<Option<Value>, Trap> {
        Ok(Some(match r {
            Ok(v) => ok(v),
            Err(e) => err(self.error_value(e)),
        }))
    }

    fn stat_value(self, s: &wt::Filestat) -> Value {
        let ts = |ns| some(self.time_value(ns));
        record(vec![
            ("type", self.descriptor_type_value(s.filetype)),
            ("link-count", Value::U64(s.nlink)),
            ("size", Value::U64(s.size)),
            ("data-access-timestamp", ts(s.atim)),
            ("data-modification-timestamp", ts(s.mtim)),
            ("status-change-timestamp", ts(s.ctim)),
        ])
    }
}

/// `new-timestamp` to a preview1 [`TimeSet`]; a time before the epoch or
/// past u64 ns is `invalid`.
fn time_set(v: Option<&Value>) -> Result<Result<TimeSet, Errno>, Trap> {
    let Some(Value::Variant(case, payload)) = v else {
        return Err(host_trap("host: expected a new-timestamp"));
    };
    Ok(match (case.as_str(), payload.as_deref()) {
        ("no-change", _) => Ok(TimeSet::Omit),
        ("now", _) => Ok(TimeSet::Now),
        ("timestamp", Some(Value::Record(f))) => {
            let secs = match f.first() {
                Some((_, Value::S64(s))) => u64::try_from(*s).ok(),
                Some((_, Value::U64(s))) => Some(*s),
                _ => return Err(host_trap("host: bad timestamp")),
            };
            let nanos = match f.get(1) {
                Some((_, Value::U32(n))) => *n,
                _ => return Err(host_trap("host: bad timestamp")),
            };
            secs.and_then(|s| s.checked_mul(1_000_000_000))
                .and_then(|s| s.checked_add(nanos as u64))
                .filter(|_| nanos < 1_000_000_000)
                .map(TimeSet::At)
                .ok_or(errno::INVAL)
        }
        _ => return Err(host_trap("host: bad new-timestamp")),
    })
}

fn has(flags: &[String], f: &str) -> bool {
    flags.iter().any(|x| x == f)
}

/// The guest-path checks of the shared layer ([`super::super::fs::check_path`]).
fn check_path(h: &Host, p: &str) -> Result<(), Errno> {
    super::super::fs::check_path(p, h.ctx().limits().max_path_len)
}

impl Host {
    /// Runs `f` on the descriptor `r`.
    fn with_desc<R>(&self, r: u32, f: impl FnOnce(&mut Descriptor) -> R) -> Result<R, Trap> {
        match self.table().objects.get_mut(&r) {
            Some(Object::Descriptor(d)) => Ok(f(d)),
            _ => Err(host_trap("host: not a descriptor")),
        }
    }

    /// Runs `f` on the directory `r` (`not-directory` for a file).
    fn with_dir<R>(
        &self,
        r: u32,
        f: impl FnOnce(&dyn WasiDir, &[String]) -> Result<R, Errno>,
    ) -> Result<Result<R, Errno>, Trap> {
        self.with_desc(r, |d| match &d.kind {
            DescKind::Dir(dir) => f(dir.as_ref(), &d.flags),
            DescKind::File(_) => Err(errno::NOTDIR),
        })
    }
}

/// A path-based operation: `(self, path)` arguments at `args[0]` and
/// `args[at]`.
fn dir_op(
    v: Fs,
    h: &Host,
    a: &[Value],
    at: usize,
    mutates: bool,
    f: impl FnOnce(&dyn WasiDir, &str) -> Result<Option<Value>, Errno>,
) -> Result<Option<Value>, Trap> {
    let r = rep(a.first())?;
    let path = string_arg(a.get(at))?.to_string();
    if let Err(e) = check_path(h, &path) {
        // A file descriptor is not a directory, whatever the path.
        let is_dir = h.with_desc(r, |d| matches!(d.kind, DescKind::Dir(_)))?;
        return v.result(Err(if is_dir { e } else { errno::NOTDIR }));
    }
    let res = h.with_dir(r, |d, flags| {
        // wasi:filesystem: changing a directory needs `mutate-directory`.
        if mutates && !has(flags, "mutate-directory") {
            return Err(errno::PERM);
        }
        f(d, &path)
    })?;
    v.result(res)
}

/// Two directories at once (rename, link): `f(from, to)`.
fn two_dirs(
    h: &Host,
    from: u32,
    to: u32,
    f: impl FnOnce(&dyn WasiDir, &dyn WasiDir) -> Result<(), Errno>,
) -> Result<Result<(), Errno>, Trap> {
    let t = h.table();
    type DirAndFlags<'a> = (&'a dyn WasiDir, &'a [String]);
    let dir = |r: u32| -> Result<Result<DirAndFlags<'_>, Errno>, Trap> {
        match t.objects.get(&r) {
            Some(Object::Descriptor(Descriptor {
                kind: DescKind::Dir(d),
                flags,
            })) => Ok(Ok((d.as_ref(), flags.as_slice()))),
            Some(Object::Descriptor(_)) => Ok(Err(errno::NOTDIR)),
            _ => Err(host_trap("host: not a descriptor")),
        }
    };
    let (a, b) = match (dir(from)?, dir(to)?) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    if !has(a.1, "mutate-directory") || !has(b.1, "mutate-directory") {
        return Ok(Err(errno::PERM));
    }
    Ok(f(a.0, b.0))
}

fn stat_of(d: &Descriptor) -> Result<wt::Filestat, Errno> {
    match &d.kind {
        DescKind::Dir(dir) => dir.stat(),
        DescKind::File(f) => f.stat(),
    }
}

/// `metadata-hash-value` of a stat: device and inode, mixed.
fn metadata_hash(s: &wt::Filestat) -> Value {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    record(vec![
        ("lower", Value::U64(mix(s.ino ^ mix(s.dev)))),
        ("upper", Value::U64(mix(s.dev.rotate_left(17) ^ s.ino))),
    ])
}

/// 0.3's stream functions: the host reads a file into a stream it writes
/// (`read-via-stream`), writes a stream the component writes into a file
/// (`write-via-stream`, `append-via-stream`), and lists a directory into a
/// stream (`read-directory`); each gives a future of how it went, resolved
/// when the call checks the descriptor (an error ends the stream at once).
fn streams_p3(iface: Iface, v: Fs, me: &(&str, ValType), ec: &ValType, entry: ValType) -> Iface {
    let bytes_stream = T::Stream(Some(Box::new(T::U8)));
    let done_t = result(None, Some(ec.clone()));
    let done = T::Future(Some(Box::new(done_t.clone())));
    let outcome = Arc::new(move |cx: &mut HostCx<'_>, r: Result<(), Errno>| {
        let value = match r {
            Ok(()) => ok(None),
            Err(e) => err(v.error_value(e)),
        };
        cx.future_ready(Some(done_t.clone()), value)
    });
    // A file's bytes from `at` on, read through the descriptor while it lives.
    let file_source = |h: &Arc<Host>, r: u32, mut at: u64| -> HostSource {
        let h = h.clone();
        Box::new(move |max: usize| {
            let mut buf = vec![0u8; max.min(FILE_READ_MAX as usize)];
            match with_file(&h, r, "read", |f| f.read_at(&mut buf, at)) {
                Ok(Ok(n)) if n > 0 => {
                    at += n as u64;
                    Some(buf[..n].iter().map(|b| Value::U8(*b)).collect())
                }
                _ => None,
            }
        })
    };
    // Writes what the component sends at `at` (advancing), or appended.
    let file_sink = |h: &Arc<Host>, r: u32, mut at: Option<u64>| -> HostSink {
        let h = h.clone();
        Box::new(move |vs: Vec<Value>| {
            let data: Vec<u8> = vs
                .iter()
                .filter_map(|v| match v {
                    Value::U8(b) => Some(*b),
                    _ => None,
                })
                .collect();
            let _ = with_file(&h, r, "write", |f| {
                let mut done = 0;
                while done < data.len() {
                    let n = match at {
                        Some(o) => f.write_at(&data[done..], o + done as u64)?,
                        None => f.write(&data[done..], true)?,
                    };
                    if n == 0 {
                        break;
                    }
                    done += n;
                }
                Ok(())
            });
            if let Some(o) = at.as_mut() {
                *o += data.len() as u64;
            }
        })
    };
    let check = |h: &Host, r: u32, need: &str| -> Result<Result<(), Errno>, Trap> {
        with_file(h, r, need, |_| Ok(()))
    };
    let finish = outcome.clone();
    let write_stream = Arc::new(
        move |h: &Arc<Host>, cx: &mut HostCx<'_>, a: &[Value], append: bool| {
            let r = rep(a.first())?;
            let data = a.get(1).ok_or_else(|| host_trap("host: no stream"))?;
            let at = if append {
                None
            } else {
                Some(u64_arg(a.get(2))?)
            };
            let ok_ = check(h, r, "write")?.and(offset_ok(at.unwrap_or(0)));
            // A refused stream is still read to its end (and dropped), so the
            // component's writes never wait for a reader.
            let sink = match ok_ {
                Ok(()) => file_sink(h, r, at),
                Err(_) => Box::new(|_| {}),
            };
            cx.stream_into(data, sink)?;
            finish(cx, ok_).map(Some)
        },
    );
    let finish = outcome.clone();
    let read_stream = move |h: &Arc<Host>, cx: &mut HostCx<'_>, a: &[Value]| {
        let r = rep(a.first())?;
        let at = u64_arg(a.get(1))?;
        let ok_ = check(h, r, "read")?.and(offset_ok(at));
        let source = match ok_ {
            Ok(()) => file_source(h, r, at),
            Err(_) => Box::new(|_| None),
        };
        let stream = cx.stream_from(Some(T::U8), source)?;
        Ok(Some(tuple2(stream, finish(cx, ok_)?)))
    };
    let entry_t = entry.clone();
    let list_dir = move |h: &Arc<Host>, cx: &mut HostCx<'_>, a: &[Value]| {
        let r = rep(a.first())?;
        let listed = h.with_dir(r, |d, _| d.entries())?;
        // `.` and `..` are not entries of wasi:filesystem; a name that is
        // not UTF-8 ends the listing with `illegal-byte-sequence`.
        let mut entries = std::collections::VecDeque::new();
        let mut status = listed.as_ref().map(|_| ()).map_err(|e| *e);
        for e in listed.unwrap_or_default() {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            match String::from_utf8(e.name) {
                Ok(name) => entries.push_back(record(vec![
                    ("type", v.descriptor_type_value(e.filetype)),
                    ("name", Value::String(name)),
                ])),
                Err(_) => {
                    status = Err(errno::ILSEQ);
                    break;
                }
            }
        }
        let source: HostSource = Box::new(move |max: usize| {
            let n = max.min(entries.len());
            (n > 0).then(|| entries.drain(..n).collect())
        });
        let stream = cx.stream_from(Some(entry_t.clone()), source)?;
        Ok(Some(tuple2(stream, outcome(cx, status)?)))
    };
    iface
        .func_cx(
            "[method]descriptor.read-via-stream",
            &[me.clone(), ("offset", T::U64)],
            Some(tuple(vec![bytes_stream.clone(), done.clone()])),
            move |h, cx, a| read_stream(h, cx, a),
        )
        .func_cx(
            "[method]descriptor.write-via-stream",
            &[
                me.clone(),
                ("data", bytes_stream.clone()),
                ("offset", T::U64),
            ],
            Some(done.clone()),
            {
                let w = write_stream.clone();
                move |h, cx, a| w(h, cx, a, false)
            },
        )
        .func_cx(
            "[method]descriptor.append-via-stream",
            &[me.clone(), ("data", bytes_stream)],
            Some(done.clone()),
            move |h, cx, a| write_stream(h, cx, a, true),
        )
        .func_cx(
            "[method]descriptor.read-directory",
            std::slice::from_ref(me),
            Some(tuple(vec![T::Stream(Some(Box::new(entry))), done])),
            move |h, cx, a| list_dir(h, cx, a),
        )
}

/// A file offset must be one POSIX `pread`/`pwrite` takes (an `off_t`):
/// beyond `i64::MAX` it is `invalid`, as in wasmtime.
fn offset_ok(at: u64) -> Result<(), Errno> {
    if at > i64::MAX as u64 {
        Err(errno::INVAL)
    } else {
        Ok(())
    }
}

/// The most bytes one 0.2 `descriptor.read` returns (a short read).
const FILE_READ_MAX: u64 = 1 << 20;

/// Runs `f` on the file of descriptor `r` if the descriptor has the access
/// `need` (`read` or `write`); a directory is `bad-descriptor`, as is a
/// file opened without that access (wasi:filesystem `descriptor-flags`).
fn with_file<R>(
    h: &Host,
    r: u32,
    need: &str,
    f: impl FnOnce(&mut Box<dyn WasiFile>) -> Result<R, Errno>,
) -> Result<Result<R, Errno>, Trap> {
    h.with_desc(r, |d| match &mut d.kind {
        DescKind::File(file) if has(&d.flags, need) => f(file),
        _ => Err(errno::BADF),
    })
}

/// 0.2's stream functions: `wasi:io` streams over the descriptor's file
/// (they read and write through the descriptor while it lives), `read` and
/// `write` at an offset, and `read-directory`'s `directory-entry-stream`.
fn streams_p2(
    iface: Iface,
    v: Fs,
    me: &(&str, ValType),
    ec: &ValType,
    entry: ValType,
    p: &P2Types,
    dir_stream: ResourceType,
) -> Iface {
    let res = |t: Option<ValType>| Some(result(t, Some(ec.clone())));
    let (input, output, error) = (p.input, p.output, p.error);
    iface
        .resource("input-stream", input)
        .resource("output-stream", output)
        .resource("error", error)
        .resource("directory-entry-stream", dir_stream)
        .ty("datetime", v.time_type())
        .func(
            "[method]descriptor.read-via-stream",
            &[me.clone(), ("offset", T::U64)],
            res(Some(T::Own(input))),
            move |h, a| {
                let desc = rep(a.first())?;
                let at = u64_arg(a.get(1))?;
                let r = with_file(h, desc, "read", |_| Ok(()))?;
                v.result(r.map(|_| {
                    let s = h.push(Object::Input(Source::File { desc, at }));
                    Some(Value::Own(s))
                }))
            },
        )
        .func(
            "[method]descriptor.write-via-stream",
            &[me.clone(), ("offset", T::U64)],
            res(Some(T::Own(output))),
            move |h, a| {
                let desc = rep(a.first())?;
                let at = u64_arg(a.get(1))?;
                let r = with_file(h, desc, "write", |_| Ok(()))?;
                v.result(r.map(|_| {
                    let s = h.push(Object::Output(Sink::File { desc, at: Some(at) }));
                    Some(Value::Own(s))
                }))
            },
        )
        .func(
            "[method]descriptor.append-via-stream",
            std::slice::from_ref(me),
            res(Some(T::Own(output))),
            move |h, a| {
                let desc = rep(a.first())?;
                let r = with_file(h, desc, "write", |_| Ok(()))?;
                v.result(r.map(|_| {
                    let s = h.push(Object::Output(Sink::File { desc, at: None }));
                    Some(Value::Own(s))
                }))
            },
        )
        .func(
            "[method]descriptor.read",
            &[me.clone(), ("length", T::U64), ("offset", T::U64)],
            res(Some(tuple(vec![list(T::U8), T::Bool]))),
            move |h, a| {
                let len = u64_arg(a.get(1))?;
                let at = u64_arg(a.get(2))?;
                let mut buf = vec![0u8; len.min(FILE_READ_MAX) as usize];
                let r = with_file(h, rep(a.first())?, "read", |f| f.read_at(&mut buf, at))?;
                // The bool is end-of-file: nothing left to read at `offset`.
                v.result(r.map(|n| Some(tuple2(bytes(&buf[..n]), Value::Bool(n == 0 && len > 0)))))
            },
        )
        .func(
            "[method]descriptor.write",
            &[me.clone(), ("buffer", list(T::U8)), ("offset", T::U64)],
            res(Some(T::U64)),
            move |h, a| {
                let data = bytes_arg(a.get(1))?;
                let at = u64_arg(a.get(2))?;
                let r = with_file(h, rep(a.first())?, "write", |f| f.write_at(&data, at))?;
                v.result(r.map(|n| Some(Value::U64(n as u64))))
            },
        )
        .func(
            "[method]descriptor.read-directory",
            std::slice::from_ref(me),
            res(Some(T::Own(dir_stream))),
            move |h, a| {
                let r = h.with_dir(rep(a.first())?, |d, _| d.entries())?;
                v.result(r.map(|entries| {
                    // `.` and `..` are not entries of wasi:filesystem.
                    let rest = entries
                        .into_iter()
                        .filter(|e| e.name != b"." && e.name != b"..")
                        .collect();
                    Some(Value::Own(h.push(Object::DirEntries(rest))))
                }))
            },
        )
        .func(
            "[method]directory-entry-stream.read-directory-entry",
            &[("self", T::Borrow(dir_stream))],
            res(Some(option(entry))),
            move |h, a| {
                let r = rep(a.first())?;
                let next = match h.table().objects.get_mut(&r) {
                    Some(Object::DirEntries(q)) => q.pop_front(),
                    _ => return Err(host_trap("host: not a directory-entry-stream")),
                };
                let Some(e) = next else {
                    return v.result(Ok(Some(Value::Option(None))));
                };
                let Ok(name) = String::from_utf8(e.name) else {
                    return v.result(Err(errno::ILSEQ));
                };
                v.result(Ok(Some(some(record(vec![
                    ("type", v.descriptor_type_value(e.filetype)),
                    ("name", Value::String(name)),
                ])))))
            },
        )
        .func(
            "filesystem-error-code",
            &[("err", T::Borrow(error))],
            Some(option(ec.clone())),
            move |h, a| {
                let r = rep(a.first())?;
                let code = match h.table().objects.get(&r) {
                    Some(Object::Error(_, code)) => *code,
                    _ => return Err(host_trap("host: not an error")),
                };
                Ok(Some(Value::Option(
                    code.map(|e| Box::new(v.error_value(e))),
                )))
            },
        )
}

/// Registers `wasi:filesystem/types` and `wasi:filesystem/preopens` of
/// one version; `p2` holds the `wasi:io` resource types and the
/// `directory-entry-stream` type that 0.2 uses.
pub(super) fn filesystem(
    rt: &mut Runtime,
    host: &Arc<Host>,
    v: Fs,
    descriptor: ResourceType,
    p2: Option<(&P2Types, ResourceType)>,
) {
    let version = if v.p3 { P3_VERSION } else { P2_VERSION };
    let ec = v.error_code_type();
    let dtype = v.descriptor_type_type();
    let dflags = flags(DESCRIPTOR_FLAGS);
    let sync = move |h: &Host, a: &[Value]| {
        v.result(h.with_desc(rep(a.first())?, |d| match &mut d.kind {
            DescKind::File(f) => f.sync().map(|_| None),
            DescKind::Dir(dir) => dir.sync().map(|_| None),
        })?)
    };
    let path_flags = flags(&["symlink-follow"]);
    let open_flags = flags(&["create", "directory", "exclusive", "truncate"]);
    let new_ts = variant(&[
        ("no-change", None),
        ("now", None),
        ("timestamp", Some(v.time_type())),
    ]);
    let stat = rec(&[
        ("type", dtype.clone()),
        ("link-count", T::U64),
        ("size", T::U64),
        ("data-access-timestamp", option(v.time_type())),
        ("data-modification-timestamp", option(v.time_type())),
        ("status-change-timestamp", option(v.time_type())),
    ]);
    let entry = rec(&[("type", dtype.clone()), ("name", T::String)]);
    let hash = rec(&[("lower", T::U64), ("upper", T::U64)]);
    let advice = enum_(&[
        "normal",
        "sequential",
        "random",
        "will-need",
        "dont-need",
        "no-reuse",
    ]);
    let me = ("self", T::Borrow(descriptor));
    let res = |t: Option<ValType>| Some(result(t, Some(ec.clone())));
    let mut iface = Iface::new(host)
        .resource("descriptor", descriptor)
        .ty("error-code", ec.clone())
        .ty("descriptor-type", dtype.clone())
        .ty("descriptor-flags", dflags.clone())
        .ty("path-flags", path_flags.clone())
        .ty("open-flags", open_flags.clone())
        .ty("new-timestamp", new_ts.clone())
        .ty("descriptor-stat", stat.clone())
        .ty("directory-entry", entry.clone())
        .ty("metadata-hash-value", hash.clone())
        .ty("advice", advice.clone())
        .ty("filesize", T::U64)
        .ty("link-count", T::U64);
    iface = match p2 {
        None => streams_p3(iface, v, &me, &ec, entry.clone()),
        Some((p, dir_stream)) => streams_p2(iface, v, &me, &ec, entry.clone(), p, dir_stream),
    };
    iface
        .func_(
            v.p3,
            "[method]descriptor.advise",
            &[
                me.clone(),
                ("offset", T::U64),
                ("length", T::U64),
                ("advice", advice),
            ],
            res(None),
            move |h, a| {
                let r = h.with_desc(rep(a.first())?, |d| match d.kind {
                    DescKind::File(_) => Ok(None),
                    DescKind::Dir(_) => Err(errno::BADF),
                })?;
                v.result(r)
            },
        )
        // sync-data and sync both flush everything (the backends have one sync).
        .func_(
            v.p3,
            "[method]descriptor.sync-data",
            std::slice::from_ref(&me),
            res(None),
            sync,
        )
        .func_(
            v.p3,
            "[method]descriptor.sync",
            std::slice::from_ref(&me),
            res(None),
            sync,
        )
        .func_(
            v.p3,
            "[method]descriptor.get-flags",
            std::slice::from_ref(&me),
            res(Some(dflags.clone())),
            move |h, a| {
                let f = h.with_desc(rep(a.first())?, |d| d.flags.clone())?;
                v.result(Ok(Some(Value::Flags(f))))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.get-type",
            std::slice::from_ref(&me),
            res(Some(dtype.clone())),
            move |h, a| {
                let t = h.with_desc(rep(a.first())?, |d| match &d.kind {
                    DescKind::Dir(_) => Ok(wt::filetype::DIRECTORY),
                    DescKind::File(f) => Ok(f.filetype()),
                })?;
                v.result(t.map(|t| Some(v.descriptor_type_value(t))))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.set-size",
            &[me.clone(), ("size", T::U64)],
            res(None),
            move |h, a| {
                let size = u64_arg(a.get(1))?;
                v.result(h.with_desc(rep(a.first())?, |d| {
                    if !has(&d.flags, "write") {
                        return Err(errno::BADF);
                    }
                    match &mut d.kind {
                        DescKind::File(f) => f.set_size(size).map(|_| None),
                        DescKind::Dir(_) => Err(errno::ISDIR),
                    }
                })?)
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.set-times",
            &[
                me.clone(),
                ("data-access-timestamp", new_ts.clone()),
                ("data-modification-timestamp", new_ts.clone()),
            ],
            res(None),
            move |h, a| {
                let (at, mt) = match (time_set(a.get(1))?, time_set(a.get(2))?) {
                    (Ok(x), Ok(y)) => (x, y),
                    (Err(e), _) | (_, Err(e)) => return v.result(Err(e)),
                };
                v.result(h.with_desc(rep(a.first())?, |d| match &mut d.kind {
                    DescKind::File(f) => f.set_times(at, mt).map(|_| None),
                    DescKind::Dir(dir) => dir.set_times(None, true, at, mt).map(|_| None),
                })?)
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.create-directory-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            move |h, a| dir_op(v, h, a, 1, true, |d, p| d.create_dir(p).map(|_| None)),
        )
        .func_(
            v.p3,
            "[method]descriptor.stat",
            std::slice::from_ref(&me),
            res(Some(stat.clone())),
            move |h, a| {
                let s = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                v.result(s.map(|s| Some(v.stat_value(&s))))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.stat-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
            ],
            res(Some(stat)),
            move |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                dir_op(v, h, a, 2, false, |d, p| {
                    d.path_stat(p, follow).map(|s| Some(v.stat_value(&s)))
                })
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.set-times-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
                ("data-access-timestamp", new_ts.clone()),
                ("data-modification-timestamp", new_ts),
            ],
            res(None),
            move |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                let (at, mt) = match (time_set(a.get(3))?, time_set(a.get(4))?) {
                    (Ok(x), Ok(y)) => (x, y),
                    (Err(e), _) | (_, Err(e)) => return v.result(Err(e)),
                };
                dir_op(v, h, a, 2, false, |d, p| {
                    d.set_times(Some(p), follow, at, mt).map(|_| None)
                })
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.link-at",
            &[
                me.clone(),
                ("old-path-flags", path_flags.clone()),
                ("old-path", T::String),
                ("new-descriptor", T::Borrow(descriptor)),
                ("new-path", T::String),
            ],
            res(None),
            move |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                let from = string_arg(a.get(2))?.to_string();
                let to = string_arg(a.get(4))?.to_string();
                if let Err(e) = check_path(h, &from).and_then(|_| check_path(h, &to)) {
                    return v.result(Err(e));
                }
                let r = two_dirs(h, rep(a.first())?, rep(a.get(3))?, |x, y| {
                    x.hard_link(&from, follow, y, &to)
                })?;
                v.result(r.map(|_| None))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.open-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
                ("open-flags", open_flags),
                ("flags", dflags),
            ],
            res(Some(T::Own(descriptor))),
            move |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                let of = flags_arg(a.get(3))?.to_vec();
                let mut df = flags_arg(a.get(4))?.to_vec();
                // The access mode, as wasmtime opens it: creating or
                // truncating writes, and without `write` the descriptor is
                // opened for reading; `get-flags` reports the mode.
                let write = has(&df, "write") || has(&of, "create") || has(&of, "truncate");
                let read = has(&df, "read") || !has(&df, "write");
                df.retain(|f| f != "read" && f != "write");
                for (on, name) in [(write, "write"), (read, "read")] {
                    if on {
                        df.insert(0, name.to_string());
                    }
                }
                let opts = OpenOptions {
                    follow,
                    create: has(&of, "create"),
                    exclusive: has(&of, "exclusive"),
                    truncate: has(&of, "truncate"),
                    directory: has(&of, "directory"),
                    read: has(&df, "read"),
                    write: has(&df, "write"),
                };
                let r = rep(a.first())?;
                let opened = h.with_dir(r, |d, flags| {
                    // wasi:filesystem: creating, truncating or writing
                    // through a directory needs `mutate-directory`.
                    let mutates = opts.create || opts.truncate || opts.write;
                    if mutates && !has(flags, "mutate-directory") {
                        return Err(errno::PERM);
                    }
                    // Directories are opened for reading only.
                    if opts.directory && opts.write {
                        return Err(errno::ISDIR);
                    }
                    let path = string_arg(a.get(2)).map_err(|_| errno::INVAL)?;
                    check_path(h, path)?;
                    let o = d.open(path, &opts)?;
                    // `mutate-directory` never exceeds the parent's. At 0.2
                    // a directory inherits it, whatever was asked (as
                    // wasmtime's 0.2 host does: the preview1 adapter never
                    // asks for it); at 0.3 it has it only when asked.
                    let mut child_flags = df.clone();
                    let asked = has(&child_flags, "mutate-directory");
                    child_flags.retain(|f| f != "mutate-directory");
                    if matches!(o, Opened::Dir(_))
                        && has(flags, "mutate-directory")
                        && (asked || !v.p3)
                    {
                        child_flags.push("mutate-directory".into());
                    }
                    Ok((o, child_flags))
                })?;
                let desc = match opened {
                    Ok((Opened::Dir(d), f)) => {
                        if opts.write {
                            return v.result(Err(errno::ISDIR));
                        }
                        Descriptor {
                            kind: DescKind::Dir(d),
                            flags: f,
                        }
                    }
                    Ok((Opened::File(file), f)) => {
                        if opts.directory {
                            return v.result(Err(errno::NOTDIR));
                        }
                        Descriptor {
                            kind: DescKind::File(file),
                            flags: f,
                        }
                    }
                    Err(e) => return v.result(Err(e)),
                };
                let r = h.push(Object::Descriptor(desc));
                v.result(Ok(Some(Value::Own(r))))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.readlink-at",
            &[me.clone(), ("path", T::String)],
            res(Some(T::String)),
            move |h, a| {
                dir_op(v, h, a, 1, false, |d, p| {
                    let b = d.readlink(p)?;
                    String::from_utf8(b)
                        .map(|s| Some(Value::String(s)))
                        .map_err(|_| errno::ILSEQ)
                })
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.remove-directory-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            move |h, a| {
                dir_op(v, h, a, 1, true, |d, p| match d.remove_dir(p) {
                    // A trailing slash follows a symlink: one leading out
                    // of the directory is `not-permitted`, as for any path.
                    Err(errno::NOTDIR) if p.ends_with('/') => {
                        match d.path_stat(p.trim_end_matches('/'), true) {
                            Err(errno::PERM) => Err(errno::PERM),
                            _ => Err(errno::NOTDIR),
                        }
                    }
                    r => r.map(|_| None),
                })
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.rename-at",
            &[
                me.clone(),
                ("old-path", T::String),
                ("new-descriptor", T::Borrow(descriptor)),
                ("new-path", T::String),
            ],
            res(None),
            move |h, a| {
                let from = string_arg(a.get(1))?.to_string();
                let to = string_arg(a.get(3))?.to_string();
                if let Err(e) = check_path(h, &from).and_then(|_| check_path(h, &to)) {
                    return v.result(Err(e));
                }
                let r = two_dirs(h, rep(a.first())?, rep(a.get(2))?, |x, y| {
                    x.rename(&from, y, &to)
                })?;
                v.result(r.map(|_| None))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.symlink-at",
            &[me.clone(), ("old-path", T::String), ("new-path", T::String)],
            res(None),
            move |h, a| {
                let target = string_arg(a.get(1))?.to_string();
                // The target is checked like any path (an absolute one is
                // refused), then stored unresolved.
                if let Err(e) = check_path(h, &target) {
                    return v.result(Err(e));
                }
                dir_op(v, h, a, 2, true, |d, p| d.symlink(&target, p).map(|_| None))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.unlink-file-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            move |h, a| dir_op(v, h, a, 1, true, |d, p| d.unlink_file(p).map(|_| None)),
        )
        .func_(
            v.p3,
            "[method]descriptor.is-same-object",
            &[me.clone(), ("other", T::Borrow(descriptor))],
            Some(T::Bool),
            move |h, a| {
                let x = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                let y = h.with_desc(rep(a.get(1))?, |d| stat_of(d))?;
                Ok(Some(Value::Bool(match (x, y) {
                    (Ok(x), Ok(y)) => x.dev == y.dev && x.ino == y.ino,
                    _ => false,
                })))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.metadata-hash",
            std::slice::from_ref(&me),
            res(Some(hash.clone())),
            move |h, a| {
                let s = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                v.result(s.map(|s| Some(metadata_hash(&s))))
            },
        )
        .func_(
            v.p3,
            "[method]descriptor.metadata-hash-at",
            &[me, ("path-flags", path_flags), ("path", T::String)],
            res(Some(hash)),
            move |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                dir_op(v, h, a, 2, false, |d, p| {
                    d.path_stat(p, follow).map(|s| Some(metadata_hash(&s)))
                })
            },
        )
        .register(rt, "wasi:filesystem/types", version);
    Iface::new(host)
        .resource("descriptor", descriptor)
        .func(
            "get-directories",
            &[],
            Some(list(tuple(vec![T::Own(descriptor), T::String]))),
            |h, _| {
                let mut pre = lock(&h.preopens);
                if pre.is_none() {
                    *pre = Some(h.ctx().take_preopens());
                }
                let mut out = Vec::new();
                // Each call gives fresh handles on the preopened directories.
                for (dir, name) in pre.iter().flatten() {
                    let opts = OpenOptions {
                        follow: true,
                        directory: true,
                        read: true,
                        ..OpenOptions::default()
                    };
                    let Ok(Opened::Dir(d)) = dir.open(".", &opts) else {
                        continue;
                    };
                    let r = h.push(Object::Descriptor(Descriptor {
                        kind: DescKind::Dir(d),
                        flags: vec!["read".into(), "mutate-directory".into()],
                    }));
                    out.push(tuple2(Value::Own(r), Value::String(name.clone())));
                }
                Ok(Some(Value::List(out)))
            },
        )
        .register(rt, "wasi:filesystem/preopens", version);
}
