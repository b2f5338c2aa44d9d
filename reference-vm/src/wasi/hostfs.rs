//! The host file-system backend, on `cap-std` directory handles.
//!
//! `cap-std` resolves every path against the handle it is given, component by
//! component (`openat2(RESOLVE_BENEATH)` or its own per-component walk): `..`
//! cannot climb above the handle, absolute paths and escaping symlinks are
//! refused, symlink expansion is bounded. We add nothing to that but the
//! translation to WASI errors and types.

use std::any::Any;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirEntryExt as _, FileExt as _, MetadataExt as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OsMetadataExt,
    SystemTimeSpec,
};
use cap_std::fs::{Dir, Metadata, OpenOptions as CapOpenOptions};

use super::fs::{MAX_SYMLINK_EXPANSIONS, OpenOptions, Opened, WasiDir, WasiFile, parent_of_last};
use super::types::{DirEntry, Errno, Filestat, TimeSet, errno, filetype, whence};

/// Maps a host I/O error to a WASI errno.
pub fn io_errno(e: &io::Error) -> Errno {
    #[cfg(target_os = "linux")]
    if let Some(raw) = e.raw_os_error() {
        let mapped = match raw {
            1 => errno::PERM,
            2 => errno::NOENT,
            4 => errno::INTR,
            5 => errno::IO,
            6 => errno::NXIO,
            7 => errno::TOOBIG,
            9 => errno::BADF,
            11 => errno::AGAIN,
            12 => errno::NOMEM,
            13 => errno::ACCES,
            14 => errno::FAULT,
            16 => errno::BUSY,
            17 => errno::EXIST,
            18 => errno::XDEV,
            19 => errno::NODEV,
            20 => errno::NOTDIR,
            21 => errno::ISDIR,
            22 => errno::INVAL,
            23 => errno::NFILE,
            24 => errno::MFILE,
            25 => errno::NOTTY,
            26 => errno::TXTBSY,
            27 => errno::FBIG,
            28 => errno::NOSPC,
            29 => errno::SPIPE,
            30 => errno::ROFS,
            31 => errno::MLINK,
            32 => errno::PIPE,
            34 => errno::RANGE,
            36 => errno::NAMETOOLONG,
            38 => errno::NOSYS,
            39 => errno::NOTEMPTY,
            40 => errno::LOOP,
            75 => errno::OVERFLOW,
            84 => errno::ILSEQ,
            95 => errno::NOTSUP,
            110 => errno::TIMEDOUT,
            _ => errno::IO,
        };
        return mapped;
    }
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => errno::NOENT,
        // cap-std reports an attempted escape from the sandbox this way.
        K::PermissionDenied => errno::PERM,
        K::AlreadyExists => errno::EXIST,
        K::NotADirectory => errno::NOTDIR,
        K::IsADirectory => errno::ISDIR,
        K::DirectoryNotEmpty => errno::NOTEMPTY,
        K::ReadOnlyFilesystem => errno::ROFS,
        K::InvalidInput => errno::INVAL,
        K::InvalidFilename => errno::INVAL,
        K::Unsupported => errno::NOTSUP,
        K::NotSeekable => errno::SPIPE,
        K::FileTooLarge => errno::FBIG,
        K::StorageFull => errno::NOSPC,
        K::CrossesDevices => errno::XDEV,
        K::TooManyLinks => errno::MLINK,
        K::OutOfMemory => errno::NOMEM,
        K::Interrupted => errno::INTR,
        K::WouldBlock => errno::AGAIN,
        K::BrokenPipe => errno::PIPE,
        _ => errno::IO,
    }
}

fn e(err: io::Error) -> Errno {
    io_errno(&err)
}

fn nanos(t: io::Result<SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(u64::MAX as u128) as u64)
        .unwrap_or(0)
}

fn std_filetype(ft: std::fs::FileType) -> u8 {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ft.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ft.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ft.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

fn cap_filetype(ft: cap_std::fs::FileType) -> u8 {
    use cap_fs_ext::FileTypeExt;
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ft.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ft.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ft.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

fn cap_stat(m: &Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: cap_filetype(m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: nanos(m.accessed().map(|t| t.into_std())),
        mtim: nanos(m.modified().map(|t| t.into_std())),
        ctim: (m.ctime().max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(m.ctime_nsec().max(0) as u64),
    }
}

fn std_stat(m: &std::fs::Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: std_filetype(m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: nanos(m.accessed()),
        mtim: nanos(m.modified()),
        ctim: (m.ctime().max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(m.ctime_nsec().max(0) as u64),
    }
}

fn spec(t: TimeSet) -> Option<SystemTimeSpec> {
    match t {
        TimeSet::Omit => None,
        TimeSet::Now => Some(SystemTimeSpec::SymbolicNow),
        TimeSet::At(ns) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(ns)),
        )),
    }
}

/// A directory of the host file system, the root of its own sandbox.
pub struct HostDir {
    dir: Dir,
}

impl HostDir {
    /// Opens a host directory with ambient authority: the only place the host
    /// backend touches a host path as a string (the user's `--dir`).
    pub fn open_ambient(path: &std::path::Path) -> io::Result<HostDir> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        Ok(HostDir { dir })
    }

    /// Wraps an already opened `cap-std` directory.
    pub fn from_cap(dir: Dir) -> HostDir {
        HostDir { dir }
    }

    fn other<'a>(&self, d: &'a dyn WasiDir) -> Result<&'a HostDir, Errno> {
        d.as_any().downcast_ref::<HostDir>().ok_or(errno::XDEV)
    }

    /// `path` with its final symlinks expanded inside the sandbox, for
    /// `path_link` with `lookupflags::symlink_follow` (linkat with
    /// AT_SYMLINK_FOLLOW, which cap-std does not offer confined): each
    /// target is read and joined to the link's directory, and cap-std
    /// resolves the result against the handle again, so `..` and absolute
    /// targets stay refused. More than [`MAX_SYMLINK_EXPANSIONS`]
    /// expansions are `LOOP`.
    fn follow_final_links(&self, path: &str) -> Result<String, Errno> {
        let mut cur = path.to_string();
        for _ in 0..=MAX_SYMLINK_EXPANSIONS {
            if names_directory(&cur) {
                // A trailing slash already follows the link (XBD 4.13).
                return Ok(cur);
            }
            let md = self.dir.symlink_metadata(&cur).map_err(e)?;
            if !md.file_type().is_symlink() {
                return Ok(cur);
            }
            let target = self.dir.read_link_contents(&cur).map_err(e)?;
            let target = target.to_str().ok_or(errno::ILSEQ)?;
            if target.starts_with('/') {
                // An absolute target could only name something outside.
                return Err(errno::PERM);
            }
            if target.is_empty() {
                return Err(errno::NOENT);
            }
            cur = match cur.rfind('/') {
                Some(i) => format!("{}/{target}", &cur[..i]),
                None => target.to_string(),
            };
        }
        Err(errno::LOOP)
    }
}

/// Whether `path` can only name a directory: it ends with `/`, or its last
/// component is `.` or `..` (POSIX.1-2017 XBD 4.13: a trailing slash
/// resolves as if `/.` were appended). Such a path follows a final symlink
/// whatever the lookup flags say, and gives ENOTDIR on a non-directory;
/// cap-std strips the trailing slash in some calls, so the backend checks.
fn names_directory(path: &str) -> bool {
    path.ends_with('/')
        || path == "."
        || path == ".."
        || path.ends_with("/.")
        || path.ends_with("/..")
}

impl WasiDir for HostDir {
    fn open(&self, path: &str, o: &OpenOptions) -> Result<Opened, Errno> {
        let follow = if o.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };
        if o.directory {
            if o.create || o.exclusive || o.truncate {
                return Err(errno::INVAL);
            }
            let d = if o.follow {
                self.dir.open_dir(path)
            } else {
                self.dir.open_dir_nofollow(path)
            }
            .map_err(e)?;
            // POSIX open(): EISDIR only once the path resolved to a directory
            // (a missing or non-directory path keeps its own error).
            if o.write {
                return Err(errno::ISDIR);
            }
            return Ok(Opened::Dir(Box::new(HostDir { dir: d })));
        }
        if o.create
            && path.ends_with('/')
            && let Some(parent) = parent_of_last(path)
        {
            // POSIX open(): [EISDIR] O_CREAT on a name that must be a
            // directory (a trailing slash, XBD 4.13); Linux answers it once
            // the directory holding the last component is resolved
            // (`open_last_lookups`), before looking the last one up.
            self.dir.open_dir(parent).map_err(e)?;
            return Err(errno::ISDIR);
        }
        let write = o.write || o.truncate;
        if o.create && !write && !o.exclusive {
            // O_RDONLY|O_CREAT: std/cap-std insist on write access to create,
            // so open an existing file read-only first and create only if missing.
            let plain = OpenOptions {
                create: false,
                ..*o
            };
            match self.open(path, &plain) {
                Err(errno::NOENT) => {}
                // POSIX open(): [EISDIR] a directory with O_CREAT and no O_DIRECTORY.
                Ok(Opened::Dir(_)) => return Err(errno::ISDIR),
                r => return r,
            }
            let creating = OpenOptions { write: true, ..*o };
            drop(self.open(path, &creating)?);
            return self.open(path, &plain);
        }
        if o.create && !write {
            let creating = OpenOptions { write: true, ..*o };
            drop(self.open(path, &creating)?);
            let plain = OpenOptions {
                create: false,
                exclusive: false,
                ..*o
            };
            return self.open(path, &plain);
        }
        let mut opts = CapOpenOptions::new();
        opts.read(o.read || !write);
        opts.write(write);
        if o.create && o.exclusive {
            opts.create_new(true);
        } else if o.create {
            opts.create(true);
        }
        if o.truncate {
            opts.truncate(true);
        }
        opts.follow(follow);
        opts.maybe_dir(!write);
        let f = self.dir.open_with(path, &opts).map_err(e)?;
        let md = f.metadata().map_err(e)?;
        if md.is_dir() {
            if write {
                return Err(errno::ISDIR);
            }
            return Ok(Opened::Dir(Box::new(HostDir {
                dir: Dir::from_std_file(f.into_std()),
            })));
        }
        Ok(Opened::File(Box::new(HostFile { file: f.into_std() })))
    }

    fn create_dir(&self, path: &str) -> Result<(), Errno> {
        self.dir.create_dir(path).map_err(e)
    }

    fn remove_dir(&self, path: &str) -> Result<(), Errno> {
        // rmdir("dir/") is valid POSIX; cap-std would see a final ".".
        let trimmed = path.trim_end_matches('/');
        self.dir
            .remove_dir(if trimmed.is_empty() { path } else { trimmed })
            .map_err(e)
    }

    fn unlink_file(&self, path: &str) -> Result<(), Errno> {
        // (A last component `.` or `..` is left to the kernel: the walk up to
        // it decides, e.g. ENOENT through a dangling link.)
        if path.ends_with('/') && parent_of_last(path).is_some() {
            // unlink() acts on the entry, never a final symlink's target; with
            // a trailing slash it always fails (XBD 4.13: the name must be a
            // directory, which unlink() does not remove): EISDIR for a
            // directory, ENOTDIR for anything else (Linux `do_unlinkat`).
            let entry = path.trim_end_matches('/');
            let md = self
                .dir
                .symlink_metadata(if entry.is_empty() { path } else { entry })
                .map_err(e)?;
            return Err(if md.is_dir() {
                errno::ISDIR
            } else {
                errno::NOTDIR
            });
        }
        self.dir.remove_file_or_symlink(path).map_err(e)
    }

    fn symlink(&self, target: &str, link: &str) -> Result<(), Errno> {
        // `symlink_contents` stores the target verbatim; following it later is
        // sandboxed, and absolute targets are refused by the dispatcher.
        self.dir.symlink_contents(target, link).map_err(e)
    }

    fn readlink(&self, path: &str) -> Result<Vec<u8>, Errno> {
        let p = self.dir.read_link_contents(path).map_err(e)?;
        Ok(p.into_os_string().into_encoded_bytes())
    }

    fn rename(&self, from: &str, to_dir: &dyn WasiDir, to: &str) -> Result<(), Errno> {
        let other = self.other(to_dir)?;
        if from.ends_with('/') || to.ends_with('/') {
            // rename(): a trailing slash on either name requires the source
            // (the entry itself, not followed) to be a directory (XBD 4.13;
            // Linux `do_renameat2`); cap-std strips the slash.
            let src = from.trim_end_matches('/');
            let md = self
                .dir
                .symlink_metadata(if src.is_empty() { from } else { src })
                .map_err(e)?;
            if !md.is_dir() {
                return Err(errno::NOTDIR);
            }
        }
        self.dir.rename(from, &other.dir, to).map_err(e)
    }

    fn hard_link(
        &self,
        from: &str,
        follow: bool,
        to_dir: &dyn WasiDir,
        to: &str,
    ) -> Result<(), Errno> {
        let other = self.other(to_dir)?;
        if follow {
            // witx `path_link`: `old_flags` say how the path is resolved, so
            // `symlink_follow` links the link's target (linkat with
            // AT_SYMLINK_FOLLOW), resolved here inside the sandbox.
            let target = self.follow_final_links(from)?;
            return self.dir.hard_link(&target, &other.dir, to).map_err(e);
        }
        self.dir.hard_link(from, &other.dir, to).map_err(e)
    }

    fn stat(&self) -> Result<Filestat, Errno> {
        self.dir.dir_metadata().map(|m| cap_stat(&m)).map_err(e)
    }

    fn path_stat(&self, path: &str, follow: bool) -> Result<Filestat, Errno> {
        // A name that must be a directory follows a final symlink and is
        // ENOTDIR on anything else (XBD 4.13; Linux lstat("file/.")).
        let dir_only = names_directory(path);
        let m = if follow || dir_only {
            self.dir.metadata(path)
        } else {
            self.dir.symlink_metadata(path)
        };
        let st = m.map(|m| cap_stat(&m)).map_err(e)?;
        if dir_only && st.filetype != filetype::DIRECTORY {
            return Err(errno::NOTDIR);
        }
        Ok(st)
    }

    fn set_times(
        &self,
        path: Option<&str>,
        follow: bool,
        atim: TimeSet,
        mtim: TimeSet,
    ) -> Result<(), Errno> {
        let p = path.unwrap_or(".");
        if path.is_some() && names_directory(p) {
            // As in `path_stat`: the name must resolve to a directory,
            // through a final symlink.
            self.path_stat(p, true)?;
            if matches!((atim, mtim), (TimeSet::Omit, TimeSet::Omit)) {
                return Ok(());
            }
            return self.dir.set_times(p, spec(atim), spec(mtim)).map_err(e);
        }
        if matches!((atim, mtim), (TimeSet::Omit, TimeSet::Omit)) {
            // Nothing to set, but the path must still resolve (POSIX
            // utimensat with both UTIME_OMIT still looks the file up).
            return self.path_stat(p, follow).map(|_| ());
        }
        if follow || path.is_none() {
            self.dir.set_times(p, spec(atim), spec(mtim)).map_err(e)
        } else {
            self.dir
                .set_symlink_times(p, spec(atim), spec(mtim))
                .map_err(e)
        }
    }

    fn entries(&self) -> Result<Vec<DirEntry>, Errno> {
        let me = self.dir.dir_metadata().map_err(e)?;
        let parent_ino = self.dir.metadata("..").map(|m| m.ino()).unwrap_or(me.ino());
        let mut out = vec![
            DirEntry {
                name: b".".to_vec(),
                ino: me.ino(),
                filetype: filetype::DIRECTORY,
            },
            DirEntry {
                name: b"..".to_vec(),
                ino: parent_ino,
                filetype: filetype::DIRECTORY,
            },
        ];
        let mut rest = Vec::new();
        for ent in self.dir.entries().map_err(e)? {
            let ent = ent.map_err(e)?;
            let ft = ent
                .file_type()
                .map(cap_filetype)
                .unwrap_or(filetype::UNKNOWN);
            rest.push(DirEntry {
                name: ent.file_name().into_encoded_bytes(),
                ino: ent.ino(),
                filetype: ft,
            });
        }
        // A stable order, so cookies mean the same entry across calls.
        rest.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(rest);
        Ok(out)
    }

    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A host file opened through a [`HostDir`].
pub struct HostFile {
    file: std::fs::File,
}

impl WasiFile for HostFile {
    fn filetype(&self) -> u8 {
        self.file
            .metadata()
            .map(|m| std_filetype(m.file_type()))
            .unwrap_or(filetype::REGULAR_FILE)
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.file.read(buf).map_err(e)
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        self.file.read_at(buf, offset).map_err(e)
    }
    fn write(&mut self, buf: &[u8], append: bool) -> Result<usize, Errno> {
        if append {
            self.file.seek(SeekFrom::End(0)).map_err(e)?;
        }
        self.file.write(buf).map_err(e)
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        self.file.write_at(buf, offset).map_err(e)
    }
    fn seek(&mut self, offset: i64, wh: u8) -> Result<u64, Errno> {
        let pos = match wh {
            whence::SET => {
                if offset < 0 {
                    return Err(errno::INVAL);
                }
                SeekFrom::Start(offset as u64)
            }
            whence::CUR => SeekFrom::Current(offset),
            whence::END => SeekFrom::End(offset),
            _ => return Err(errno::INVAL),
        };
        self.file.seek(pos).map_err(e)
    }
    fn stat(&self) -> Result<Filestat, Errno> {
        self.file.metadata().map(|m| std_stat(&m)).map_err(e)
    }
    fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        self.file.set_len(size).map_err(e)
    }
    fn set_times(&mut self, atim: TimeSet, mtim: TimeSet) -> Result<(), Errno> {
        let mut t = std::fs::FileTimes::new();
        let now = SystemTime::now();
        match atim {
            TimeSet::Omit => {}
            TimeSet::Now => t = t.set_accessed(now),
            TimeSet::At(ns) => t = t.set_accessed(UNIX_EPOCH + Duration::from_nanos(ns)),
        }
        match mtim {
            TimeSet::Omit => {}
            TimeSet::Now => t = t.set_modified(now),
            TimeSet::At(ns) => t = t.set_modified(UNIX_EPOCH + Duration::from_nanos(ns)),
        }
        self.file.set_times(t).map_err(e)
    }
    fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno> {
        let end = offset.checked_add(len).ok_or(errno::FBIG)?;
        if end > i64::MAX as u64 {
            return Err(errno::FBIG);
        }
        let size = self.file.metadata().map_err(e)?.len();
        if end > size {
            self.file.set_len(end).map_err(e)?;
        }
        Ok(())
    }
    fn sync(&mut self) -> Result<(), Errno> {
        self.file.sync_all().map_err(e)
    }
}
