//! The in-memory file-system backend: deterministic inode numbers (allocated
//! in order from 1) and times (a logical clock that ticks once per change),
//! for reproducible and differential runs.
//!
//! Paths are resolved here component by component against the handle's
//! directory, which is the root of the handle's sandbox: `..` at the root is
//! `PERM`, absolute symlink targets are `PERM`, more than
//! [`MAX_SYMLINK_EXPANSIONS`] expansions are `LOOP`.

use std::any::Any;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::fs::{MAX_SYMLINK_EXPANSIONS, OpenOptions, Opened, WasiDir, WasiFile, parent_of_last};
use super::types::{DirEntry, Errno, Filestat, TimeSet, errno, filetype, whence};

/// Logical time of the first change: 2000-01-01T00:00:00Z in ns.
const EPOCH_NS: u64 = 946_684_800_000_000_000;
/// Logical clock step, ns.
const TICK_NS: u64 = 1_000;

enum Kind {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<String, u64>,
        parent: u64,
    },
    Symlink(String),
}

struct Node {
    kind: Kind,
    nlink: u64,
    /// Open [`MemFile`] handles on this node: POSIX unlink() postpones
    /// removing a file's contents until the last one is closed.
    open: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

struct Inner {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    clock: u64,
    bytes: u64,
    max_bytes: u64,
    max_nodes: usize,
}

impl Inner {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        EPOCH_NS + self.clock * TICK_NS
    }

    fn node(&self, ino: u64) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(errno::NOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(errno::NOENT)
    }

    fn alloc(&mut self, kind: Kind) -> Result<u64, Errno> {
        if self.nodes.len() >= self.max_nodes {
            return Err(errno::NOSPC);
        }
        let t = self.tick();
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(
            ino,
            Node {
                kind,
                nlink: 1,
                open: 0,
                atim: t,
                mtim: t,
                ctim: t,
            },
        );
        Ok(ino)
    }

    fn entries(&self, dir: u64) -> Result<&BTreeMap<String, u64>, Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            _ => Err(errno::NOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> Result<&mut BTreeMap<String, u64>, Errno> {
        match &mut self.node_mut(dir)?.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            _ => Err(errno::NOTDIR),
        }
    }

    fn parent(&self, dir: u64) -> Result<u64, Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir { parent, .. } => Ok(*parent),
            _ => Err(errno::NOTDIR),
        }
    }

    fn is_dir(&self, ino: u64) -> bool {
        matches!(
            self.nodes.get(&ino).map(|n| &n.kind),
            Some(Kind::Dir { .. })
        )
    }

    fn touch_dir(&mut self, dir: u64) {
        let t = self.tick();
        if let Some(n) = self.nodes.get_mut(&dir) {
            n.mtim = t;
            n.ctim = t;
        }
    }

    fn stat(&self, ino: u64) -> Result<Filestat, Errno> {
        let n = self.node(ino)?;
        let (ft, size) = match &n.kind {
            Kind::File(d) => (filetype::REGULAR_FILE, d.len() as u64),
            Kind::Dir { entries, .. } => (filetype::DIRECTORY, entries.len() as u64),
            Kind::Symlink(t) => (filetype::SYMBOLIC_LINK, t.len() as u64),
        };
        Ok(Filestat {
            dev: 1,
            ino,
            filetype: ft,
            nlink: n.nlink,
            size,
            atim: n.atim,
            mtim: n.mtim,
            ctim: n.ctim,
        })
    }

    /// Drops one link to `ino`; frees it once no link and no open handle is
    /// left (POSIX unlink(): "If one or more processes have the file open
    /// when the last link is removed, ... removal of the file contents shall
    /// be postponed until all references to the file are closed").
    fn unlink_node(&mut self, ino: u64) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.nlink = n.nlink.saturating_sub(1);
        }
        self.free_if_unreferenced(ino);
    }

    /// Removes `ino` and releases its bytes if it has no link and no open handle.
    fn free_if_unreferenced(&mut self, ino: u64) {
        let Some(n) = self.nodes.get(&ino) else {
            return;
        };
        if n.nlink != 0 || n.open != 0 {
            return;
        }
        if let Some(Node {
            kind: Kind::File(d),
            ..
        }) = self.nodes.remove(&ino)
        {
            self.bytes = self.bytes.saturating_sub(d.len() as u64);
        }
    }

    /// Resolves `path` from `root` (the sandbox root and starting directory).
    /// A final symlink is followed if `follow_last`, or if a `/` follows it
    /// (POSIX.1-2017 XBD 4.13: a trailing slash resolves as if `/.` were
    /// appended, so the result must be a directory).
    fn resolve(&self, root: u64, path: &str, follow_last: bool) -> Result<Lookup, Errno> {
        self.resolve_mode(root, path, follow_last, false)
    }

    /// Resolves `path` to the directory entry its last component names,
    /// never following a final symlink, trailing slash or not, and without
    /// checking that a name with a trailing slash is a directory: the
    /// lookup of mkdir(), rmdir(), unlink() and rename(), which act on the
    /// entry itself (Linux: `filename_create`, `do_rmdir`, `do_unlinkat`,
    /// `do_renameat2` look the last component up without following it);
    /// the caller applies the trailing-slash rule of its operation.
    fn resolve_entry(&self, root: u64, path: &str) -> Result<Lookup, Errno> {
        self.resolve_mode(root, path, false, true)
    }

    fn resolve_mode(
        &self,
        root: u64,
        path: &str,
        follow_last: bool,
        entry: bool,
    ) -> Result<Lookup, Errno> {
        let mut comps: VecDeque<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let mut trailing = path.ends_with('/');
        if comps.is_empty() {
            comps.push_back(".".into());
        }
        let mut cur = root;
        let mut expansions = 0usize;
        while let Some(comp) = comps.pop_front() {
            let is_last = comps.is_empty();
            match comp.as_str() {
                "." => {
                    if !self.is_dir(cur) {
                        return Err(errno::NOTDIR);
                    }
                    if is_last {
                        return Ok(Lookup::Found {
                            parent: cur,
                            name: comp,
                            ino: cur,
                        });
                    }
                }
                ".." => {
                    if cur == root {
                        return Err(errno::PERM);
                    }
                    cur = self.parent(cur)?;
                    if is_last {
                        return Ok(Lookup::Found {
                            parent: cur,
                            name: comp,
                            ino: cur,
                        });
                    }
                }
                _ => {
                    if comp.len() > 255 {
                        return Err(errno::NAMETOOLONG);
                    }
                    let Some(&ino) = self.entries(cur)?.get(&comp) else {
                        if is_last {
                            return Ok(Lookup::Missing {
                                parent: cur,
                                name: comp,
                                trailing,
                            });
                        }
                        return Err(errno::NOENT);
                    };
                    let node = self.node(ino)?;
                    if let Kind::Symlink(target) = &node.kind
                        && (!is_last || follow_last || (trailing && !entry))
                    {
                        expansions += 1;
                        if expansions > MAX_SYMLINK_EXPANSIONS {
                            return Err(errno::LOOP);
                        }
                        if target.starts_with('/') {
                            return Err(errno::PERM);
                        }
                        if target.is_empty() {
                            return Err(errno::NOENT);
                        }
                        if is_last && target.ends_with('/') {
                            trailing = true;
                        }
                        let mut new: Vec<String> = target
                            .split('/')
                            .filter(|c| !c.is_empty())
                            .map(str::to_string)
                            .collect();
                        if new.is_empty() {
                            new.push(".".into());
                        }
                        for c in new.into_iter().rev() {
                            comps.push_front(c);
                        }
                        continue;
                    }
                    let dir = matches!(node.kind, Kind::Dir { .. });
                    if !is_last {
                        if !dir {
                            return Err(errno::NOTDIR);
                        }
                        cur = ino;
                        continue;
                    }
                    if trailing && !dir && !entry {
                        return Err(errno::NOTDIR);
                    }
                    return Ok(Lookup::Found {
                        parent: cur,
                        name: comp,
                        ino,
                    });
                }
            }
        }
        Ok(Lookup::Found {
            parent: cur,
            name: ".".into(),
            ino: cur,
        })
    }
}

enum Lookup {
    Found {
        parent: u64,
        name: String,
        ino: u64,
    },
    Missing {
        parent: u64,
        name: String,
        trailing: bool,
    },
}

/// An in-memory file system; clone it to share.
#[derive(Clone)]
pub struct MemFs {
    inner: Arc<Mutex<Inner>>,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty file system (a root directory, inode 1) holding at most 256 MiB.
    pub fn new() -> MemFs {
        Self::with_limits(256 << 20, 1 << 20)
    }

    /// An empty file system with caps on file bytes and on nodes.
    pub fn with_limits(max_bytes: u64, max_nodes: usize) -> MemFs {
        let mut inner = Inner {
            nodes: HashMap::new(),
            next_ino: 1,
            clock: 0,
            bytes: 0,
            max_bytes,
            max_nodes,
        };
        let root = inner
            .alloc(Kind::Dir {
                entries: BTreeMap::new(),
                parent: 1,
            })
            .expect("an empty file system has room for its root");
        if let Some(n) = inner.nodes.get_mut(&root) {
            n.nlink = 2;
        }
        MemFs {
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A handle on the root directory.
    pub fn root(&self) -> MemDir {
        MemDir {
            fs: self.clone(),
            ino: 1,
        }
    }

    /// Copies the host directory tree at `host` into a new directory `name`
    /// under the root, in name order (so inode numbers are deterministic), and
    /// returns a handle on it. Symlinks are copied as symlinks.
    pub fn load_host_dir(&self, host: &std::path::Path, name: &str) -> std::io::Result<MemDir> {
        let root = self.root();
        let mut inner = self.lock();
        let ino = inner
            .alloc(Kind::Dir {
                entries: BTreeMap::new(),
                parent: 1,
            })
            .map_err(|e| std::io::Error::other(errno::name(e)))?;
        inner
            .entries_mut(root.ino)
            .map_err(|e| std::io::Error::other(errno::name(e)))?
            .insert(name.to_string(), ino);
        copy_tree(&mut inner, host, ino)?;
        Ok(MemDir {
            fs: self.clone(),
            ino,
        })
    }
}

fn copy_tree(inner: &mut Inner, host: &std::path::Path, dir: u64) -> std::io::Result<()> {
    let err = |e: Errno| std::io::Error::other(errno::name(e));
    let mut names: Vec<_> = std::fs::read_dir(host)?.collect::<Result<Vec<_>, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for ent in names {
        let name = ent.file_name().to_string_lossy().into_owned();
        let ft = ent.file_type()?;
        let kind = if ft.is_symlink() {
            Kind::Symlink(
                std::fs::read_link(ent.path())?
                    .to_string_lossy()
                    .into_owned(),
            )
        } else if ft.is_dir() {
            Kind::Dir {
                entries: BTreeMap::new(),
                parent: dir,
            }
        } else {
            let data = std::fs::read(ent.path())?;
            if inner.bytes + data.len() as u64 > inner.max_bytes {
                return Err(err(errno::NOSPC));
            }
            inner.bytes += data.len() as u64;
            Kind::File(data)
        };
        let is_dir = matches!(kind, Kind::Dir { .. });
        let ino = inner.alloc(kind).map_err(err)?;
        inner.entries_mut(dir).map_err(err)?.insert(name, ino);
        if is_dir {
            copy_tree(inner, &ent.path(), ino)?;
        }
    }
    Ok(())
}

/// A directory of a [`MemFs`], the root of its own sandbox.
pub struct MemDir {
    fs: MemFs,
    ino: u64,
}

impl MemDir {
    fn same_fs<'a>(&self, other: &'a dyn WasiDir) -> Result<&'a MemDir, Errno> {
        let o = other.as_any().downcast_ref::<MemDir>().ok_or(errno::XDEV)?;
        if !Arc::ptr_eq(&o.fs.inner, &self.fs.inner) {
            return Err(errno::XDEV);
        }
        Ok(o)
    }
}

fn time_value(inner: &mut Inner, t: TimeSet, old: u64) -> u64 {
    match t {
        TimeSet::Omit => old,
        TimeSet::Now => inner.tick(),
        TimeSet::At(ns) => ns,
    }
}

impl WasiDir for MemDir {
    fn open(&self, path: &str, o: &OpenOptions) -> Result<Opened, Errno> {
        let mut inner = self.fs.lock();
        if o.create && !o.directory && path.ends_with('/') {
            // POSIX open(): [EISDIR] "The named file is a directory and
            // oflag includes O_CREAT": a name with a trailing slash names a
            // directory (XBD 4.13). Like Linux (`open_last_lookups`), only
            // the directory holding the last component is resolved first.
            if let Some(parent) = parent_of_last(path) {
                let dir = match inner.resolve(self.ino, parent, true)? {
                    Lookup::Missing { .. } => return Err(errno::NOENT),
                    Lookup::Found { ino, .. } => ino,
                };
                if !inner.is_dir(dir) {
                    return Err(errno::NOTDIR);
                }
                return Err(errno::ISDIR);
            }
        }
        // POSIX open(): with O_CREAT and O_EXCL a final symlink is not
        // followed (it exists, so the open fails with EEXIST).
        let follow = o.follow && !(o.create && o.exclusive);
        let ino = match inner.resolve(self.ino, path, follow)? {
            Lookup::Missing {
                parent,
                name,
                trailing,
            } => {
                if !o.create {
                    return Err(errno::NOENT);
                }
                if o.directory {
                    return Err(errno::INVAL);
                }
                if trailing {
                    return Err(errno::ISDIR);
                }
                let ino = inner.alloc(Kind::File(Vec::new()))?;
                inner.entries_mut(parent)?.insert(name, ino);
                inner.touch_dir(parent);
                ino
            }
            Lookup::Found { ino, .. } => {
                if o.create && o.exclusive {
                    return Err(errno::EXIST);
                }
                ino
            }
        };
        let kind = &inner.node(ino)?.kind;
        match kind {
            Kind::Symlink(_) => Err(if o.directory {
                errno::NOTDIR
            } else {
                errno::LOOP
            }),
            Kind::Dir { .. } => {
                if o.create || o.truncate {
                    return Err(if o.directory {
                        errno::INVAL
                    } else {
                        errno::ISDIR
                    });
                }
                if o.write {
                    return Err(errno::ISDIR);
                }
                Ok(Opened::Dir(Box::new(MemDir {
                    fs: self.fs.clone(),
                    ino,
                })))
            }
            Kind::File(_) => {
                if o.directory {
                    return Err(errno::NOTDIR);
                }
                if o.truncate {
                    let t = inner.tick();
                    let n = inner.node_mut(ino)?;
                    let mut freed = 0;
                    if let Kind::File(d) = &mut n.kind {
                        freed = d.len() as u64;
                        *d = Vec::new();
                    }
                    n.mtim = t;
                    n.ctim = t;
                    inner.bytes = inner.bytes.saturating_sub(freed);
                }
                inner.node_mut(ino)?.open += 1;
                Ok(Opened::File(Box::new(MemFile {
                    fs: self.fs.clone(),
                    ino,
                    pos: 0,
                })))
            }
        }
    }

    fn create_dir(&self, path: &str) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        // mkdir() never follows its last component: an existing name, a
        // symlink (even dangling, even as `link/`) included, is EEXIST.
        match inner.resolve_entry(self.ino, path)? {
            Lookup::Found { .. } => Err(errno::EXIST),
            Lookup::Missing { parent, name, .. } => {
                let ino = inner.alloc(Kind::Dir {
                    entries: BTreeMap::new(),
                    parent,
                })?;
                inner.node_mut(ino)?.nlink = 2;
                inner.entries_mut(parent)?.insert(name, ino);
                inner.node_mut(parent)?.nlink += 1;
                inner.touch_dir(parent);
                Ok(())
            }
        }
    }

    fn remove_dir(&self, path: &str) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        // rmdir() acts on the entry: a symlink, `link/` included, is ENOTDIR
        // (below: a non-directory has no entries).
        match inner.resolve_entry(self.ino, path)? {
            Lookup::Missing { .. } => Err(errno::NOENT),
            Lookup::Found { parent, name, ino } => {
                if name == "." {
                    return Err(errno::INVAL);
                }
                if name == ".." {
                    return Err(errno::NOTEMPTY);
                }
                if ino == self.ino {
                    return Err(errno::BUSY);
                }
                if !inner.entries(ino)?.is_empty() {
                    return Err(errno::NOTEMPTY);
                }
                inner.entries_mut(parent)?.remove(&name);
                inner.nodes.remove(&ino);
                let p = inner.node_mut(parent)?;
                p.nlink = p.nlink.saturating_sub(1);
                inner.touch_dir(parent);
                Ok(())
            }
        }
    }

    fn unlink_file(&self, path: &str) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        // unlink() acts on the entry; with a trailing slash a non-directory
        // (a symlink included) is ENOTDIR (XBD 4.13; Linux `do_unlinkat`).
        match inner.resolve_entry(self.ino, path)? {
            Lookup::Missing { .. } => Err(errno::NOENT),
            Lookup::Found { parent, name, ino } => {
                if inner.is_dir(ino) {
                    return Err(errno::ISDIR);
                }
                if path.ends_with('/') {
                    return Err(errno::NOTDIR);
                }
                inner.entries_mut(parent)?.remove(&name);
                inner.unlink_node(ino);
                inner.touch_dir(parent);
                Ok(())
            }
        }
    }

    fn symlink(&self, target: &str, link: &str) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        match inner.resolve(self.ino, link, false)? {
            Lookup::Found { .. } => Err(errno::EXIST),
            Lookup::Missing { trailing: true, .. } => Err(errno::NOENT),
            Lookup::Missing { parent, name, .. } => {
                let ino = inner.alloc(Kind::Symlink(target.to_string()))?;
                inner.entries_mut(parent)?.insert(name, ino);
                inner.touch_dir(parent);
                Ok(())
            }
        }
    }

    fn readlink(&self, path: &str) -> Result<Vec<u8>, Errno> {
        let inner = self.fs.lock();
        match inner.resolve(self.ino, path, false)? {
            Lookup::Missing { .. } => Err(errno::NOENT),
            Lookup::Found { ino, .. } => match &inner.node(ino)?.kind {
                Kind::Symlink(t) => Ok(t.as_bytes().to_vec()),
                _ => Err(errno::INVAL),
            },
        }
    }

    fn rename(&self, from: &str, to_dir: &dyn WasiDir, to: &str) -> Result<(), Errno> {
        let other = self.same_fs(to_dir)?;
        let mut inner = self.fs.lock();
        // rename() acts on the entries: neither final symlink is followed,
        // and a trailing slash on either name requires a directory source
        // (XBD 4.13; Linux `do_renameat2`).
        let (sp, sname, sino) = match inner.resolve_entry(self.ino, from)? {
            Lookup::Missing { .. } => return Err(errno::NOENT),
            Lookup::Found { parent, name, ino } => (parent, name, ino),
        };
        if sname == "." || sname == ".." || sino == self.ino {
            return Err(errno::BUSY);
        }
        let src_dir = inner.is_dir(sino);
        let (dp, dname, existing) = match inner.resolve_entry(other.ino, to)? {
            Lookup::Missing { parent, name, .. } => (parent, name, None),
            Lookup::Found { parent, name, ino } => {
                if name == "." || name == ".." {
                    return Err(errno::BUSY);
                }
                (parent, name, Some(ino))
            }
        };
        if (from.ends_with('/') || to.ends_with('/')) && !src_dir {
            return Err(errno::NOTDIR);
        }
        if src_dir {
            // A directory cannot move into itself or a descendant.
            let mut p = dp;
            loop {
                if p == sino {
                    return Err(errno::INVAL);
                }
                let up = inner.parent(p)?;
                if up == p {
                    break;
                }
                p = up;
            }
        }
        if let Some(d) = existing {
            if d == sino {
                return Ok(());
            }
            let dst_dir = inner.is_dir(d);
            match (src_dir, dst_dir) {
                (true, false) => return Err(errno::NOTDIR),
                (false, true) => return Err(errno::ISDIR),
                (true, true) if !inner.entries(d)?.is_empty() => return Err(errno::NOTEMPTY),
                _ => {}
            }
            inner.entries_mut(dp)?.remove(&dname);
            if dst_dir {
                inner.nodes.remove(&d);
                let n = inner.node_mut(dp)?;
                n.nlink = n.nlink.saturating_sub(1);
            } else {
                inner.unlink_node(d);
            }
        }
        inner.entries_mut(sp)?.remove(&sname);
        inner.entries_mut(dp)?.insert(dname, sino);
        if src_dir {
            if let Kind::Dir { parent, .. } = &mut inner.node_mut(sino)?.kind {
                *parent = dp;
            }
            inner.node_mut(sp)?.nlink -= 1;
            inner.node_mut(dp)?.nlink += 1;
        }
        let t = inner.tick();
        inner.node_mut(sino)?.ctim = t;
        inner.touch_dir(sp);
        inner.touch_dir(dp);
        Ok(())
    }

    fn hard_link(
        &self,
        from: &str,
        follow: bool,
        to_dir: &dyn WasiDir,
        to: &str,
    ) -> Result<(), Errno> {
        let other = self.same_fs(to_dir)?;
        let mut inner = self.fs.lock();
        let sino = match inner.resolve(self.ino, from, follow)? {
            Lookup::Missing { .. } => return Err(errno::NOENT),
            Lookup::Found { ino, .. } => ino,
        };
        if inner.is_dir(sino) {
            return Err(errno::PERM);
        }
        match inner.resolve(other.ino, to, false)? {
            Lookup::Found { .. } => Err(errno::EXIST),
            Lookup::Missing { trailing: true, .. } => Err(errno::NOENT),
            Lookup::Missing { parent, name, .. } => {
                inner.entries_mut(parent)?.insert(name, sino);
                let t = inner.tick();
                let n = inner.node_mut(sino)?;
                n.nlink += 1;
                n.ctim = t;
                inner.touch_dir(parent);
                Ok(())
            }
        }
    }

    fn stat(&self) -> Result<Filestat, Errno> {
        self.fs.lock().stat(self.ino)
    }

    fn path_stat(&self, path: &str, follow: bool) -> Result<Filestat, Errno> {
        let inner = self.fs.lock();
        match inner.resolve(self.ino, path, follow)? {
            Lookup::Missing { .. } => Err(errno::NOENT),
            Lookup::Found { ino, .. } => inner.stat(ino),
        }
    }

    fn set_times(
        &self,
        path: Option<&str>,
        follow: bool,
        atim: TimeSet,
        mtim: TimeSet,
    ) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        let ino = match path {
            None => self.ino,
            Some(p) => match inner.resolve(self.ino, p, follow)? {
                Lookup::Missing { .. } => return Err(errno::NOENT),
                Lookup::Found { ino, .. } => ino,
            },
        };
        let (a0, m0) = {
            let n = inner.node(ino)?;
            (n.atim, n.mtim)
        };
        let a = time_value(&mut inner, atim, a0);
        let m = time_value(&mut inner, mtim, m0);
        let t = inner.tick();
        let n = inner.node_mut(ino)?;
        n.atim = a;
        n.mtim = m;
        n.ctim = t;
        Ok(())
    }

    fn entries(&self) -> Result<Vec<DirEntry>, Errno> {
        let inner = self.fs.lock();
        let parent = inner.parent(self.ino)?;
        let mut out = vec![
            DirEntry {
                name: b".".to_vec(),
                ino: self.ino,
                filetype: filetype::DIRECTORY,
            },
            DirEntry {
                name: b"..".to_vec(),
                ino: parent,
                filetype: filetype::DIRECTORY,
            },
        ];
        for (name, &ino) in inner.entries(self.ino)? {
            let ft = inner
                .stat(ino)
                .map(|s| s.filetype)
                .unwrap_or(filetype::UNKNOWN);
            out.push(DirEntry {
                name: name.as_bytes().to_vec(),
                ino,
                filetype: ft,
            });
        }
        Ok(out)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A file of a [`MemFs`].
pub struct MemFile {
    fs: MemFs,
    ino: u64,
    pos: u64,
}

impl MemFile {
    fn with_data<R>(&self, f: impl FnOnce(&mut Inner, &mut Vec<u8>) -> R) -> Result<R, Errno> {
        let mut inner = self.fs.lock();
        let mut data = match &mut inner.node_mut(self.ino)?.kind {
            Kind::File(d) => std::mem::take(d),
            _ => return Err(errno::BADF),
        };
        let r = f(&mut inner, &mut data);
        if let Ok(n) = inner.node_mut(self.ino)
            && let Kind::File(d) = &mut n.kind
        {
            *d = data;
        }
        Ok(r)
    }

    fn write_inner(&self, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        self.with_data(|inner, d| {
            let end = offset.checked_add(buf.len() as u64).ok_or(errno::FBIG)?;
            if end > d.len() as u64 {
                let grow = end - d.len() as u64;
                if inner.bytes.saturating_add(grow) > inner.max_bytes {
                    return Err(errno::NOSPC);
                }
                inner.bytes += grow;
                d.resize(end as usize, 0);
            }
            d[offset as usize..end as usize].copy_from_slice(buf);
            let t = inner.tick();
            if let Ok(n) = inner.node_mut(self.ino) {
                n.mtim = t;
                n.ctim = t;
            }
            Ok(buf.len())
        })?
    }

    fn resize(&self, size: u64) -> Result<(), Errno> {
        self.with_data(|inner, d| {
            let old = d.len() as u64;
            if size > old {
                // Saturating: a size near u64::MAX must fail, not wrap.
                if inner.bytes.saturating_add(size - old) > inner.max_bytes {
                    return Err(errno::FBIG);
                }
                inner.bytes += size - old;
            } else {
                inner.bytes = inner.bytes.saturating_sub(old - size);
            }
            d.resize(size as usize, 0);
            let t = inner.tick();
            if let Ok(n) = inner.node_mut(self.ino) {
                n.mtim = t;
                n.ctim = t;
            }
            Ok(())
        })?
    }
}

impl Drop for MemFile {
    fn drop(&mut self) {
        let mut inner = self.fs.lock();
        if let Ok(n) = inner.node_mut(self.ino) {
            n.open = n.open.saturating_sub(1);
        }
        inner.free_if_unreferenced(self.ino);
    }
}

impl WasiFile for MemFile {
    fn filetype(&self) -> u8 {
        filetype::REGULAR_FILE
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = self.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        self.with_data(|_, d| {
            let start = offset.min(d.len() as u64) as usize;
            let n = (d.len() - start).min(buf.len());
            buf[..n].copy_from_slice(&d[start..start + n]);
            n
        })
    }
    fn write(&mut self, buf: &[u8], append: bool) -> Result<usize, Errno> {
        if append {
            self.pos = self.stat()?.size;
        }
        let n = self.write_inner(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        self.write_inner(buf, offset)
    }
    fn seek(&mut self, offset: i64, wh: u8) -> Result<u64, Errno> {
        let base = match wh {
            whence::SET => 0i128,
            whence::CUR => self.pos as i128,
            whence::END => self.stat()?.size as i128,
            _ => return Err(errno::INVAL),
        };
        let p = base + offset as i128;
        if p < 0 || p > i64::MAX as i128 {
            return Err(errno::INVAL);
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
    fn stat(&self) -> Result<Filestat, Errno> {
        self.fs.lock().stat(self.ino)
    }
    fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        self.resize(size)
    }
    fn set_times(&mut self, atim: TimeSet, mtim: TimeSet) -> Result<(), Errno> {
        let mut inner = self.fs.lock();
        let (a0, m0) = {
            let n = inner.node(self.ino)?;
            (n.atim, n.mtim)
        };
        let a = time_value(&mut inner, atim, a0);
        let m = time_value(&mut inner, mtim, m0);
        let t = inner.tick();
        let n = inner.node_mut(self.ino)?;
        n.atim = a;
        n.mtim = m;
        n.ctim = t;
        Ok(())
    }
    fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno> {
        let end = offset.checked_add(len).ok_or(errno::FBIG)?;
        if end > self.stat()?.size {
            self.resize(end)?;
        }
        Ok(())
    }
}
