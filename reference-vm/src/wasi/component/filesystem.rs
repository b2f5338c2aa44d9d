//! `wasi:filesystem@0.3.0` (types, preopens) over the capability
//! file-system layer of preview1 ([`WasiDir`], [`WasiFile`]): the same
//! backends and the same sandbox rules (a path never leaves the directory
//! of its descriptor: `not-permitted`). Every function completes
//! synchronously; those taking or returning streams trap until the VM has
//! streams and futures.

use super::*;

/// wasi:filesystem `error-code`: the preview1 errno each case stands for.
/// An errno not listed is `other(some(name))`.
const ERROR_CODES: &[(Errno, &str)] = &[
    (errno::ACCES, "access"),
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

/// The cases of `error-code`, in WIT order.
const ERROR_CASES: &[&str] = &[
    "access",
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

fn error_code_type() -> ValType {
    let mut cases: Vec<(&str, Option<ValType>)> = ERROR_CASES.iter().map(|c| (*c, None)).collect();
    cases.push(("other", Some(option(T::String))));
    variant(&cases)
}

fn descriptor_type_type() -> ValType {
    variant(&[
        ("block-device", None),
        ("character-device", None),
        ("directory", None),
        ("fifo", None),
        ("symbolic-link", None),
        ("regular-file", None),
        ("socket", None),
        ("other", Some(option(T::String))),
    ])
}

fn error_value(e: Errno) -> Value {
    match ERROR_CODES.iter().find(|(n, _)| *n == e) {
        Some((_, case)) => Value::Variant(case.to_string(), None),
        None => Value::Variant(
            "other".into(),
            Some(Box::new(some(Value::String(errno::name(e).to_string())))),
        ),
    }
}

/// A `result<T, error-code>` value.
fn fs_result(r: Result<Option<Value>, Errno>) -> Result<Option<Value>, Trap> {
    Ok(Some(match r {
        Ok(v) => ok(v),
        Err(e) => err(error_value(e)),
    }))
}

fn descriptor_type_value(ft: u8) -> Value {
    match DESCRIPTOR_TYPES.iter().find(|(t, _)| *t == ft) {
        Some((_, case)) => Value::Variant(case.to_string(), None),
        None => Value::Variant("other".into(), Some(Box::new(Value::Option(None)))),
    }
}

fn timestamp(ns: u64) -> Value {
    some(instant_value(ns))
}

fn stat_value(s: &wt::Filestat) -> Value {
    record(vec![
        ("type", descriptor_type_value(s.filetype)),
        ("link-count", Value::U64(s.nlink)),
        ("size", Value::U64(s.size)),
        ("data-access-timestamp", timestamp(s.atim)),
        ("data-modification-timestamp", timestamp(s.mtim)),
        ("status-change-timestamp", timestamp(s.ctim)),
    ])
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
                Some((_, Value::S64(s))) => *s,
                _ => return Err(host_trap("host: bad instant")),
            };
            let nanos = match f.get(1) {
                Some((_, Value::U32(n))) => *n,
                _ => return Err(host_trap("host: bad instant")),
            };
            u64::try_from(secs)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000_000))
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

/// The checks preview1 makes on a guest path before a backend sees it
/// ([`super::super::fs`]'s contract): not empty (`no-entry`), no NUL
/// (`invalid`), not too long (`name-too-long`), not absolute
/// (`not-permitted`: it would leave the directory).
fn check_path(h: &Host, p: &str) -> Result<(), Errno> {
    if p.len() as u64 > h.ctx().limits().max_path_len as u64 {
        return Err(errno::NAMETOOLONG);
    }
    if p.contains('\0') {
        return Err(errno::INVAL);
    }
    if p.is_empty() {
        return Err(errno::NOENT);
    }
    if p.starts_with('/') {
        return Err(errno::PERM);
    }
    Ok(())
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
        return fs_result(Err(if is_dir { e } else { errno::NOTDIR }));
    }
    let res = h.with_dir(r, |d, flags| {
        // wasi:filesystem: changing a directory needs `mutate-directory`.
        if mutates && !has(flags, "mutate-directory") {
            return Err(errno::PERM);
        }
        f(d, &path)
    })?;
    fs_result(res)
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

pub(super) fn filesystem_p3(rt: &mut Runtime, host: &Arc<Host>, descriptor: ResourceType) {
    let v = P3_VERSION;
    let ec = error_code_type();
    let dtype = descriptor_type_type();
    let dflags = flags(DESCRIPTOR_FLAGS);
    let path_flags = flags(&["symlink-follow"]);
    let open_flags = flags(&["create", "directory", "exclusive", "truncate"]);
    let new_ts = variant(&[
        ("no-change", None),
        ("now", None),
        ("timestamp", Some(instant_p3())),
    ]);
    let stat = rec(&[
        ("type", dtype.clone()),
        ("link-count", T::U64),
        ("size", T::U64),
        ("data-access-timestamp", option(instant_p3())),
        ("data-modification-timestamp", option(instant_p3())),
        ("status-change-timestamp", option(instant_p3())),
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
    let bytes_stream = T::Stream(Some(Box::new(T::U8)));
    let done = T::Future(Some(Box::new(result(None, Some(ec.clone())))));
    Iface::new(host)
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
        .ty("link-count", T::U64)
        .ty("instant", instant_p3())
        .func(
            "[method]descriptor.read-via-stream",
            &[me.clone(), ("offset", T::U64)],
            Some(tuple(vec![bytes_stream.clone(), done.clone()])),
            needs_streams("descriptor", "read-via-stream"),
        )
        .func(
            "[method]descriptor.write-via-stream",
            &[
                me.clone(),
                ("data", bytes_stream.clone()),
                ("offset", T::U64),
            ],
            Some(done.clone()),
            needs_streams("descriptor", "write-via-stream"),
        )
        .func(
            "[method]descriptor.append-via-stream",
            &[me.clone(), ("data", bytes_stream)],
            Some(done.clone()),
            needs_streams("descriptor", "append-via-stream"),
        )
        .func(
            "[method]descriptor.read-directory",
            std::slice::from_ref(&me),
            Some(tuple(vec![T::Stream(Some(Box::new(entry))), done])),
            needs_streams("descriptor", "read-directory"),
        )
        .async_func(
            "[method]descriptor.advise",
            &[
                me.clone(),
                ("offset", T::U64),
                ("length", T::U64),
                ("advice", advice),
            ],
            res(None),
            |h, a| {
                let r = h.with_desc(rep(a.first())?, |d| match d.kind {
                    DescKind::File(_) => Ok(None),
                    DescKind::Dir(_) => Err(errno::BADF),
                })?;
                fs_result(r)
            },
        )
        .async_func(
            "[method]descriptor.sync-data",
            std::slice::from_ref(&me),
            res(None),
            |h, a| {
                fs_result(h.with_desc(rep(a.first())?, |d| match &mut d.kind {
                    DescKind::File(f) => f.sync().map(|_| None),
                    DescKind::Dir(dir) => dir.sync().map(|_| None),
                })?)
            },
        )
        .async_func(
            "[method]descriptor.sync",
            std::slice::from_ref(&me),
            res(None),
            |h, a| {
                fs_result(h.with_desc(rep(a.first())?, |d| match &mut d.kind {
                    DescKind::File(f) => f.sync().map(|_| None),
                    DescKind::Dir(dir) => dir.sync().map(|_| None),
                })?)
            },
        )
        .async_func(
            "[method]descriptor.get-flags",
            std::slice::from_ref(&me),
            res(Some(dflags.clone())),
            |h, a| {
                let f = h.with_desc(rep(a.first())?, |d| d.flags.clone())?;
                fs_result(Ok(Some(Value::Flags(f))))
            },
        )
        .async_func(
            "[method]descriptor.get-type",
            std::slice::from_ref(&me),
            res(Some(dtype.clone())),
            |h, a| {
                let t = h.with_desc(rep(a.first())?, |d| match &d.kind {
                    DescKind::Dir(_) => Ok(wt::filetype::DIRECTORY),
                    DescKind::File(f) => Ok(f.filetype()),
                })?;
                fs_result(t.map(|t| Some(descriptor_type_value(t))))
            },
        )
        .async_func(
            "[method]descriptor.set-size",
            &[me.clone(), ("size", T::U64)],
            res(None),
            |h, a| {
                let size = u64_arg(a.get(1))?;
                fs_result(h.with_desc(rep(a.first())?, |d| {
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
        .async_func(
            "[method]descriptor.set-times",
            &[
                me.clone(),
                ("data-access-timestamp", new_ts.clone()),
                ("data-modification-timestamp", new_ts.clone()),
            ],
            res(None),
            |h, a| {
                let (at, mt) = match (time_set(a.get(1))?, time_set(a.get(2))?) {
                    (Ok(x), Ok(y)) => (x, y),
                    (Err(e), _) | (_, Err(e)) => return fs_result(Err(e)),
                };
                fs_result(h.with_desc(rep(a.first())?, |d| match &mut d.kind {
                    DescKind::File(f) => f.set_times(at, mt).map(|_| None),
                    DescKind::Dir(dir) => dir.set_times(None, true, at, mt).map(|_| None),
                })?)
            },
        )
        .async_func(
            "[method]descriptor.create-directory-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            |h, a| dir_op(h, a, 1, true, |d, p| d.create_dir(p).map(|_| None)),
        )
        .async_func(
            "[method]descriptor.stat",
            std::slice::from_ref(&me),
            res(Some(stat.clone())),
            |h, a| {
                let s = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                fs_result(s.map(|s| Some(stat_value(&s))))
            },
        )
        .async_func(
            "[method]descriptor.stat-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
            ],
            res(Some(stat)),
            |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                dir_op(h, a, 2, false, |d, p| {
                    d.path_stat(p, follow).map(|s| Some(stat_value(&s)))
                })
            },
        )
        .async_func(
            "[method]descriptor.set-times-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
                ("data-access-timestamp", new_ts.clone()),
                ("data-modification-timestamp", new_ts),
            ],
            res(None),
            |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                let (at, mt) = match (time_set(a.get(3))?, time_set(a.get(4))?) {
                    (Ok(x), Ok(y)) => (x, y),
                    (Err(e), _) | (_, Err(e)) => return fs_result(Err(e)),
                };
                dir_op(h, a, 2, false, |d, p| {
                    d.set_times(Some(p), follow, at, mt).map(|_| None)
                })
            },
        )
        .async_func(
            "[method]descriptor.link-at",
            &[
                me.clone(),
                ("old-path-flags", path_flags.clone()),
                ("old-path", T::String),
                ("new-descriptor", T::Borrow(descriptor)),
                ("new-path", T::String),
            ],
            res(None),
            |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                let from = string_arg(a.get(2))?.to_string();
                let to = string_arg(a.get(4))?.to_string();
                if let Err(e) = check_path(h, &from).and_then(|_| check_path(h, &to)) {
                    return fs_result(Err(e));
                }
                let r = two_dirs(h, rep(a.first())?, rep(a.get(3))?, |x, y| {
                    x.hard_link(&from, follow, y, &to)
                })?;
                fs_result(r.map(|_| None))
            },
        )
        .async_func(
            "[method]descriptor.open-at",
            &[
                me.clone(),
                ("path-flags", path_flags.clone()),
                ("path", T::String),
                ("open-flags", open_flags),
                ("flags", dflags),
            ],
            res(Some(T::Own(descriptor))),
            |h, a| {
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
                    let mut child_flags = df.clone();
                    if !has(flags, "mutate-directory") {
                        child_flags.retain(|f| f != "mutate-directory");
                    }
                    Ok((o, child_flags))
                })?;
                let desc = match opened {
                    Ok((Opened::Dir(d), f)) => {
                        if opts.write {
                            return fs_result(Err(errno::ISDIR));
                        }
                        Descriptor {
                            kind: DescKind::Dir(d),
                            flags: f,
                        }
                    }
                    Ok((Opened::File(file), f)) => {
                        if opts.directory {
                            return fs_result(Err(errno::NOTDIR));
                        }
                        Descriptor {
                            kind: DescKind::File(file),
                            flags: f,
                        }
                    }
                    Err(e) => return fs_result(Err(e)),
                };
                let r = h.push(Object::Descriptor(desc));
                fs_result(Ok(Some(Value::Own(r))))
            },
        )
        .async_func(
            "[method]descriptor.readlink-at",
            &[me.clone(), ("path", T::String)],
            res(Some(T::String)),
            |h, a| {
                dir_op(h, a, 1, false, |d, p| {
                    let b = d.readlink(p)?;
                    String::from_utf8(b)
                        .map(|s| Some(Value::String(s)))
                        .map_err(|_| errno::ILSEQ)
                })
            },
        )
        .async_func(
            "[method]descriptor.remove-directory-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            |h, a| {
                dir_op(h, a, 1, true, |d, p| match d.remove_dir(p) {
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
        .async_func(
            "[method]descriptor.rename-at",
            &[
                me.clone(),
                ("old-path", T::String),
                ("new-descriptor", T::Borrow(descriptor)),
                ("new-path", T::String),
            ],
            res(None),
            |h, a| {
                let from = string_arg(a.get(1))?.to_string();
                let to = string_arg(a.get(3))?.to_string();
                if let Err(e) = check_path(h, &from).and_then(|_| check_path(h, &to)) {
                    return fs_result(Err(e));
                }
                let r = two_dirs(h, rep(a.first())?, rep(a.get(2))?, |x, y| {
                    x.rename(&from, y, &to)
                })?;
                fs_result(r.map(|_| None))
            },
        )
        .async_func(
            "[method]descriptor.symlink-at",
            &[me.clone(), ("old-path", T::String), ("new-path", T::String)],
            res(None),
            |h, a| {
                let target = string_arg(a.get(1))?.to_string();
                dir_op(h, a, 2, true, |d, p| d.symlink(&target, p).map(|_| None))
            },
        )
        .async_func(
            "[method]descriptor.unlink-file-at",
            &[me.clone(), ("path", T::String)],
            res(None),
            |h, a| dir_op(h, a, 1, true, |d, p| d.unlink_file(p).map(|_| None)),
        )
        .async_func(
            "[method]descriptor.is-same-object",
            &[me.clone(), ("other", T::Borrow(descriptor))],
            Some(T::Bool),
            |h, a| {
                let x = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                let y = h.with_desc(rep(a.get(1))?, |d| stat_of(d))?;
                Ok(Some(Value::Bool(match (x, y) {
                    (Ok(x), Ok(y)) => x.dev == y.dev && x.ino == y.ino,
                    _ => false,
                })))
            },
        )
        .async_func(
            "[method]descriptor.metadata-hash",
            std::slice::from_ref(&me),
            res(Some(hash.clone())),
            |h, a| {
                let s = h.with_desc(rep(a.first())?, |d| stat_of(d))?;
                fs_result(s.map(|s| Some(metadata_hash(&s))))
            },
        )
        .async_func(
            "[method]descriptor.metadata-hash-at",
            &[me, ("path-flags", path_flags), ("path", T::String)],
            res(Some(hash)),
            |h, a| {
                let follow = has(flags_arg(a.get(1))?, "symlink-follow");
                dir_op(h, a, 2, false, |d, p| {
                    d.path_stat(p, follow).map(|s| Some(metadata_hash(&s)))
                })
            },
        )
        .register(rt, "wasi:filesystem/types", v);
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
        .register(rt, "wasi:filesystem/preopens", v);
}
