//! The standard streams: inherited from the host, captured, or fixed bytes.

use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use super::fs::WasiFile;
use super::types::{Errno, Filestat, TimeSet, errno, filetype};

/// Where a guest's stdin comes from.
#[derive(Debug, Clone, Default)]
pub enum StdinSource {
    /// Reads return end of file.
    #[default]
    Null,
    /// The host process's stdin.
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// These bytes, then no end of file: a later read waits, as on a pipe
    /// whose writer stays open, until the run is stopped (it then fails with
    /// `INTR`, and the run is ending anyway). The WASI testsuite's runner
    /// gives every test such a stdin; the wasi-threads `*_wasi_read` tests
    /// rely on a read that blocks while another thread ends the program.
    Open(Vec<u8>),
}

/// Captured output shared between the guest and the embedder.
#[derive(Debug, Default)]
pub struct Captured {
    /// The bytes written, up to the cap.
    pub bytes: Vec<u8>,
    /// Whether writes past the cap were dropped.
    pub truncated: bool,
}

/// A handle on captured output; clone it before building the context and read it after the run.
pub type CaptureHandle = Arc<Mutex<Captured>>;

/// Where a guest's stdout or stderr goes.
#[derive(Debug, Clone, Default)]
pub enum OutputSink {
    /// Dropped.
    #[default]
    Null,
    /// The host process's stream of the same name.
    Inherit,
    /// Kept in memory, at most `cap` bytes; the rest is dropped (and reported as written).
    Capture(CaptureHandle, usize),
}

impl OutputSink {
    /// A fresh capture with the given cap, and the handle to read it.
    pub fn capture(cap: usize) -> (OutputSink, CaptureHandle) {
        let h: CaptureHandle = Arc::default();
        (OutputSink::Capture(h.clone(), cap), h)
    }
}

pub(crate) struct StdinFile {
    pub(crate) src: StdinSource,
    pub(crate) pos: usize,
    /// The run's stop request: a read of the host's stdin gives up once set.
    pub(crate) interrupt: Arc<AtomicBool>,
    /// Set by a read of an [`StdinSource::Open`] stdin that has nothing
    /// left: the caller must wait for the stop request before going on.
    pub(crate) blocked: Arc<AtomicBool>,
}

/// The host's stdin, read by one helper thread (started on first use) and
/// handed over in chunks, so that a guest read can wait for input in slices
/// and give up when its run is stopped (a blocking read of the process's
/// stdin cannot be interrupted; the helper thread lives on, outside any run,
/// and whatever it read but no run consumed stays for the next reader).
struct StdinPump {
    chunks: Receiver<Option<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

fn stdin_pump() -> &'static Mutex<StdinPump> {
    static PUMP: OnceLock<Mutex<StdinPump>> = OnceLock::new();
    PUMP.get_or_init(|| {
        let (tx, rx) = sync_channel::<Option<Vec<u8>>>(1);
        let started = std::thread::Builder::new()
            .name("wasi-stdin".into())
            .spawn(move || {
                let mut b = vec![0u8; 64 << 10];
                loop {
                    match std::io::stdin().read(&mut b) {
                        Ok(0) | Err(_) => {
                            let _ = tx.send(None);
                            return;
                        }
                        Ok(n) => {
                            if tx.send(Some(b[..n].to_vec())).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        Mutex::new(StdinPump {
            chunks: rx,
            buf: Vec::new(),
            pos: 0,
            // No helper thread: read as end of file.
            eof: started.is_err(),
        })
    })
}

/// Reads the host's stdin through the pump; `INTR` when `stop` is set first.
fn read_host_stdin(buf: &mut [u8], stop: &AtomicBool) -> Result<usize, Errno> {
    let mut p = stdin_pump().lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if p.pos < p.buf.len() {
            let n = buf.len().min(p.buf.len() - p.pos);
            buf[..n].copy_from_slice(&p.buf[p.pos..p.pos + n]);
            p.pos += n;
            return Ok(n);
        }
        if p.eof || buf.is_empty() {
            return Ok(0);
        }
        if stop.load(Ordering::Relaxed) {
            return Err(errno::INTR);
        }
        match p.chunks.recv_timeout(crate::exec::shared::INTERRUPT_POLL) {
            Ok(Some(chunk)) => (p.buf, p.pos) = (chunk, 0),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => p.eof = true,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Copies what is left of `b` after `pos` into `buf`; returns the count.
fn read_bytes(b: &[u8], pos: &mut usize, buf: &mut [u8]) -> usize {
    let rest = &b[(*pos).min(b.len())..];
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    *pos += n;
    n
}

fn no_stat(tty: bool) -> Filestat {
    Filestat {
        filetype: if tty {
            filetype::CHARACTER_DEVICE
        } else {
            filetype::UNKNOWN
        },
        nlink: 1,
        ..Filestat::default()
    }
}

impl WasiFile for StdinFile {
    fn filetype(&self) -> u8 {
        if self.is_tty() {
            filetype::CHARACTER_DEVICE
        } else {
            filetype::UNKNOWN
        }
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        match &self.src {
            StdinSource::Null => Ok(0),
            StdinSource::Inherit => read_host_stdin(buf, &self.interrupt),
            StdinSource::Bytes(b) => Ok(read_bytes(b, &mut self.pos, buf)),
            StdinSource::Open(b) => {
                let n = read_bytes(b, &mut self.pos, buf);
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                // Nothing more will come, and the writer never closes: the
                // read waits until the run is stopped. It waits outside the
                // context's lock (other threads go on making WASI calls):
                // the flag asks the caller to (`WasiCtx::call_deferring_sleep`).
                if !self.interrupt.load(Ordering::Relaxed) {
                    self.blocked.store(true, Ordering::SeqCst);
                }
                Err(errno::INTR)
            }
        }
    }
    fn read_at(&mut self, _: &mut [u8], _: u64) -> Result<usize, Errno> {
        Err(errno::SPIPE)
    }
    fn write(&mut self, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(errno::BADF)
    }
    fn write_at(&mut self, _: &[u8], _: u64) -> Result<usize, Errno> {
        Err(errno::SPIPE)
    }
    fn seek(&mut self, _: i64, _: u8) -> Result<u64, Errno> {
        Err(errno::SPIPE)
    }
    fn stat(&self) -> Result<Filestat, Errno> {
        Ok(no_stat(self.is_tty()))
    }
    fn set_size(&mut self, _: u64) -> Result<(), Errno> {
        Err(errno::INVAL)
    }
    fn set_times(&mut self, _: TimeSet, _: TimeSet) -> Result<(), Errno> {
        Ok(())
    }
    fn allocate(&mut self, _: u64, _: u64) -> Result<(), Errno> {
        Err(errno::SPIPE)
    }
    fn is_tty(&self) -> bool {
        matches!(self.src, StdinSource::Inherit) && std::io::stdin().is_terminal()
    }
    fn bytes_ready(&self) -> Option<u64> {
        match &self.src {
            StdinSource::Bytes(b) | StdinSource::Open(b) => {
                Some(b.len().saturating_sub(self.pos) as u64)
            }
            _ => None,
        }
    }
}

pub(crate) struct OutputFile {
    pub(crate) sink: OutputSink,
    pub(crate) stderr: bool,
}

impl WasiFile for OutputFile {
    fn filetype(&self) -> u8 {
        if self.is_tty() {
            filetype::CHARACTER_DEVICE
        } else {
            filetype::UNKNOWN
        }
    }
    fn read(&mut self, _: &mut [u8]) -> Result<usize, Errno> {
        Err(errno::BADF)
    }
    fn read_at(&mut self, _: &mut [u8], _: u64) -> Result<usize, Errno> {
        Err(errno::SPIPE)
    }
    fn write(&mut self, buf: &[u8], _: bool) -> Result<usize, Errno> {
        match &self.sink {
            OutputSink::Null => Ok(buf.len()),
            OutputSink::Inherit => {
                let r = if self.stderr {
                    std::io::stderr().write_all(buf)
                } else {
                    let mut o = std::io::stdout();
                    o.write_all(buf).and_then(|_| o.flush())
                };
                r.map(|_| buf.len()).map_err(|_| errno::IO)
            }
            OutputSink::Capture(h, cap) => {
                let mut c = h.lock().unwrap_or_else(|p| p.into_inner());
                let room = cap.saturating_sub(c.bytes.len());
                if buf.len() > room {
                    c.truncated = true;
                }
                c.bytes.extend_from_slice(&buf[..buf.len().min(room)]);
                Ok(buf.len())
            }
        }
    }
    fn write_at(&mut self, _: &[u8], _: u64) -> Result<usize, Errno> {
        Err(errno::SPIPE)
    }
    fn seek(&mut self, _: i64, _: u8) -> Result<u64, Errno> {
        Err(errno::SPIPE)
    }
    fn stat(&self) -> Result<Filestat, Errno> {
        Ok(no_stat(self.is_tty()))
    }
    fn set_size(&mut self, _: u64) -> Result<(), Errno> {
        Err(errno::INVAL)
    }
    fn set_times(&mut self, _: TimeSet, _: TimeSet) -> Result<(), Errno> {
        Ok(())
    }
    fn allocate(&mut self, _: u64, _: u64) -> Result<(), Errno> {
        Err(errno::SPIPE)
    }
    fn is_tty(&self) -> bool {
        match self.sink {
            OutputSink::Inherit if self.stderr => std::io::stderr().is_terminal(),
            OutputSink::Inherit => std::io::stdout().is_terminal(),
            _ => false,
        }
    }
}
