//! The file-system backend contract: directory and file handles.
//!
//! Every path a backend receives is relative to the handle it is called on,
//! non-empty, valid UTF-8 and free of NUL bytes (the dispatcher checks that),
//! and must be resolved component by component so that it never leaves the
//! directory of the handle: `..` above it, an absolute symlink target or a
//! symlink leading outside give `PERM`, more than [`MAX_SYMLINK_EXPANSIONS`]
//! symlink expansions give `LOOP`.

use std::any::Any;

use super::types::{DirEntry, Errno, Filestat, TimeSet};

/// The checks every guest path passes before a backend sees it, the same
/// for preview1, `wasi:filesystem@0.2` and `@0.3` (the sandbox's first
/// rules): at most `max_len` bytes (`NAMETOOLONG`), no NUL (`INVAL`), not
/// empty (`NOENT`), not absolute (`PERM`: it would leave the directory of
/// the descriptor; wasi-filesystem's path resolution). A symlink target is
/// checked the same way: an absolute one could only name something outside.
pub fn check_path(p: &str, max_len: u32) -> Result<(), Errno> {
    if p.len() as u64 > max_len as u64 {
        return Err(super::types::errno::NAMETOOLONG);
    }
    if p.contains('\0') {
        return Err(super::types::errno::INVAL);
    }
    if p.is_empty() {
        return Err(super::types::errno::NOENT);
    }
    if p.starts_with('/') {
        return Err(super::types::errno::PERM);
    }
    Ok(())
}

/// The directory part of `path` before its last named component when that
/// component is followed by a `/` (`"."` for `"name/"`), or `None` when
/// the last component is `.` or `..`.
pub(crate) fn parent_of_last(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    let (parent, last) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (".", trimmed),
    };
    if last.is_empty() || last == "." || last == ".." {
        return None;
    }
    Some(if parent.is_empty() { "." } else { parent })
}

/// Symlink expansions allowed while resolving one path.
pub const MAX_SYMLINK_EXPANSIONS: usize = 40;

/// How `path_open` wants a path opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Follow a symlink in the last component.
    pub follow: bool,
    /// `oflags.creat`.
    pub create: bool,
    /// `oflags.excl`.
    pub exclusive: bool,
    /// `oflags.trunc`.
    pub truncate: bool,
    /// `oflags.directory`: the result must be a directory.
    pub directory: bool,
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
}

/// What `WasiDir::open` produced.
pub enum Opened {
    /// A regular file (or another non-directory).
    File(Box<dyn WasiFile>),
    /// A directory.
    Dir(Box<dyn WasiDir>),
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opened::File(_) => f.write_str("Opened::File"),
            Opened::Dir(_) => f.write_str("Opened::Dir"),
        }
    }
}

/// An open directory: the root of its own sandbox.
pub trait WasiDir: Send {
    /// Opens `path`.
    fn open(&self, path: &str, opts: &OpenOptions) -> Result<Opened, Errno>;
    /// `path_create_directory`.
    fn create_dir(&self, path: &str) -> Result<(), Errno>;
    /// `path_remove_directory`.
    fn remove_dir(&self, path: &str) -> Result<(), Errno>;
    /// `path_unlink_file`.
    fn unlink_file(&self, path: &str) -> Result<(), Errno>;
    /// `path_symlink`: creates `link` holding `target` (not resolved).
    fn symlink(&self, target: &str, link: &str) -> Result<(), Errno>;
    /// `path_readlink`: the contents of the symlink `path`.
    fn readlink(&self, path: &str) -> Result<Vec<u8>, Errno>;
    /// `path_rename` to `to` in `to_dir` (a handle of the same backend, else `XDEV`).
    fn rename(&self, from: &str, to_dir: &dyn WasiDir, to: &str) -> Result<(), Errno>;
    /// `path_link` to `to` in `to_dir`.
    fn hard_link(
        &self,
        from: &str,
        follow: bool,
        to_dir: &dyn WasiDir,
        to: &str,
    ) -> Result<(), Errno>;
    /// `fd_filestat_get` on the directory itself.
    fn stat(&self) -> Result<Filestat, Errno>;
    /// `path_filestat_get`.
    fn path_stat(&self, path: &str, follow: bool) -> Result<Filestat, Errno>;
    /// `fd_filestat_set_times` (`path == None`) and `path_filestat_set_times`.
    fn set_times(
        &self,
        path: Option<&str>,
        follow: bool,
        atim: TimeSet,
        mtim: TimeSet,
    ) -> Result<(), Errno>;
    /// All entries, `.` and `..` first, in a stable order for this directory state.
    fn entries(&self) -> Result<Vec<DirEntry>, Errno>;
    /// `fd_sync` / `fd_datasync` on the directory.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// For backends to recognise their own handles (rename, link).
    fn as_any(&self) -> &dyn Any;
}

/// An open non-directory: a file, a stream, a device.
pub trait WasiFile: Send {
    /// A `filetype` value.
    fn filetype(&self) -> u8;
    /// Reads at the current position.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Reads at `offset` without moving the position.
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Errno>;
    /// Writes at the current position (or the end, with `append`).
    fn write(&mut self, buf: &[u8], append: bool) -> Result<usize, Errno>;
    /// Writes at `offset` without moving the position.
    fn write_at(&mut self, buf: &[u8], offset: u64) -> Result<usize, Errno>;
    /// Moves the position; `whence` is a witx `whence`.
    fn seek(&mut self, offset: i64, whence: u8) -> Result<u64, Errno>;
    /// `fd_filestat_get`.
    fn stat(&self) -> Result<Filestat, Errno>;
    /// `fd_filestat_set_size`.
    fn set_size(&mut self, size: u64) -> Result<(), Errno>;
    /// `fd_filestat_set_times`.
    fn set_times(&mut self, atim: TimeSet, mtim: TimeSet) -> Result<(), Errno>;
    /// `fd_allocate`: the file is at least `offset + len` bytes afterwards.
    fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno>;
    /// `fd_sync`.
    fn sync(&mut self) -> Result<(), Errno> {
        Ok(())
    }
    /// Whether this is a terminal (stdio inherited from a tty).
    fn is_tty(&self) -> bool {
        false
    }
    /// Bytes that can be read without blocking, for `poll_oneoff` (`None`: unknown, treat as ready).
    fn bytes_ready(&self) -> Option<u64> {
        None
    }
}
