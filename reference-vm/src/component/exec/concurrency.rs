//! The asynchronous half of the Canonical ABI (CanonicalABI.md,
//! "Concurrency", `canon lift`/`canon lower` and the 🔀 🧵 📝 built-ins;
//! Concurrency.md): threads, tasks, subtasks, waitables and waitable sets,
//! streams, futures, error contexts and the scheduler.
//!
//! Each component thread runs on an OS thread of its own, but only one runs
//! at a time: resuming a thread hands it the store and waits until it
//! blocks or exits, which is the specification's `resume`/`block` pair of
//! continuations. The choices the specification leaves open (which ready
//! thread runs, which pending event a set delivers, which cancellable
//! thread is cancelled) are drawn from a seeded generator ([`Rng`]), so one
//! program and one seed give one interleaving; a wait whose condition
//! already holds goes on at once, as in wasmtime.
//!
//! Where the reference tests (test/async) hold wasmtime's behaviour over
//! the letter of definitions.py, the code says so at the rule.

use std::cell::RefCell;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::task::Poll;

use super::*;
use crate::exec::{ExecStack, Ref};

/// A thread in [`State::threads`].
pub(super) type ThreadId = usize;
/// A task in [`State::tasks`].
pub(super) type TaskId = usize;
/// A subtask or stream/future end in [`State::waitables`].
pub(super) type WaitableId = usize;

/// Native stack each component thread gets (core calls nest on it).
const THREAD_STACK: usize = 64 << 20;

// ---------------------------------------------------------------------------
// Stack switching (CanonicalABI.md, "Stack Switching")

/// What resumes a parked thread: the store, whether it is cancelled, and
/// where to hand the store back.
struct Wake {
    store: Store,
    cancelled: bool,
    back: Sender<Back>,
}

/// What a thread hands back to the thread that resumed it.
enum Back {
    /// It blocked (`block(switch_to)`).
    Blocked {
        store: Store,
        switch_to: Option<ThreadId>,
    },
    /// Its thread function returned (or trapped).
    Exited {
        store: Store,
        result: Result<(), Trap>,
    },
}

/// The running component thread's end of its continuation.
struct Fiber {
    rx: Receiver<Wake>,
    back: Option<Sender<Back>>,
}

thread_local! {
    static FIBER: RefCell<Option<Fiber>> = const { RefCell::new(None) };
}

/// A thread's body: runs with the store once resumed.
type ThreadFunc = Box<dyn FnOnce(&mut Store, &Shared) -> Result<(), Trap> + Send>;

/// `cont_new`: parks `f` on a new OS thread until it is first resumed.
fn cont_new(state: &Shared, f: ThreadFunc) -> Result<Sender<Wake>, Trap> {
    let (tx, rx) = channel::<Wake>();
    let state = state.clone();
    std::thread::Builder::new()
        .name("component-thread".into())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let Ok(wake) = rx.recv() else { return };
            let mut store = wake.store;
            FIBER.with(|fb| {
                *fb.borrow_mut() = Some(Fiber {
                    rx,
                    back: Some(wake.back),
                })
            });
            let result = f(&mut store, &state);
            drop(state);
            let mut done = ExecStack::default();
            store.swap_exec(&mut done);
            let back = FIBER.with(|fb| fb.borrow_mut().take().and_then(|f| f.back));
            if let Some(back) = back {
                let _ = back.send(Back::Exited { store, result });
            }
        })
        .map_err(|e| trap(format!("cannot start a component thread: {e}")))?;
    Ok(tx)
}

/// `block`: hands the store back to the thread that resumed this one and
/// waits to be resumed; returns whether it was resumed cancelled.
fn block(store: &mut Store, switch_to: Option<ThreadId>) -> Result<bool, Trap> {
    FIBER.with(|fb| {
        let mut fb = fb.borrow_mut();
        let Some(fiber) = fb.as_mut() else {
            return Err(trap("cannot block a synchronous task before returning"));
        };
        let Some(back) = fiber.back.take() else {
            return Err(trap("internal: no thread to return to"));
        };
        let mut mine = ExecStack::default();
        store.swap_exec(&mut mine);
        if let Err(e) = back.send(Back::Blocked {
            store: store.take(),
            switch_to,
        }) {
            let (Back::Blocked { store: s, .. } | Back::Exited { store: s, .. }) = e.0;
            *store = s;
            store.swap_exec(&mut mine);
            return Err(trap("internal: the resuming thread is gone"));
        }
        let Ok(wake) = fiber.rx.recv() else {
            // The runtime is gone: unwind on the empty store.
            store.swap_exec(&mut mine);
            return Err(trap("component thread abandoned"));
        };
        *store = wake.store;
        store.swap_exec(&mut mine);
        fiber.back = Some(wake.back);
        Ok(wake.cancelled)
    })
}

/// How a resumed thread came back.
enum Switched {
    Blocked(Option<ThreadId>),
    Exited(Result<(), Trap>),
}

/// `resume`: runs a parked thread until it blocks or exits.
fn switch_into(store: &mut Store, tx: &Sender<Wake>, cancelled: bool) -> Result<Switched, Trap> {
    let (btx, brx) = channel();
    let mut mine = ExecStack::default();
    store.swap_exec(&mut mine);
    if let Err(e) = tx.send(Wake {
        store: store.take(),
        cancelled,
        back: btx,
    }) {
        *store = e.0.store;
        store.swap_exec(&mut mine);
        return Err(trap("internal: component thread is gone"));
    }
    let r = match brx.recv() {
        Ok(Back::Blocked {
            store: s,
            switch_to,
        }) => {
            *store = s;
            Ok(Switched::Blocked(switch_to))
        }
        Ok(Back::Exited { store: s, result }) => {
            *store = s;
            Ok(Switched::Exited(result))
        }
        Err(_) => Err(trap("internal: a component thread ended without the store")),
    };
    store.swap_exec(&mut mine);
    r
}

// ---------------------------------------------------------------------------
// Runtime state (CanonicalABI.md, "Thread State", "Task State",
// "Waitable State", "Stream State", "Future State")

/// The scheduler's source of choices: `None` is the deterministic profile
/// (always the first candidate); a seed draws every choice (which ready
/// thread runs, which pending event a set delivers, which cancellable
/// thread is cancelled) from SplitMix64.
#[derive(Debug, Default)]
pub(super) struct Rng(Option<u64>);

impl Rng {
    /// A generator with this seed (`None`: deterministic profile).
    pub(super) fn new(seed: Option<u64>) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        let Some(s) = self.0.as_mut() else { return 0 };
        *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `random.choice` over `n` candidates.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Thread (CanonicalABI.md, "Thread State").
pub(super) struct ThreadObj {
    cont: Sender<Wake>,
    /// `running()`: the continuation is taken.
    running: bool,
    /// `ready_func`: set while waiting.
    ready: Option<Ready>,
    task: TaskId,
    cancellable: bool,
    /// Its index in the instance's thread table, once registered.
    index: Option<u32>,
    /// The instance whose exclusive lock it let go of while blocked in a
    /// synchronous built-in, to take again before it runs.
    reacquire: Option<u32>,
    /// `storage` (`context.get` / `context.set`).
    pub(super) storage: [u64; 2],
}

/// A thread's `ready_func`, as data the scheduler evaluates.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ready {
    Always,
    /// `not has_backpressure()` of a task entering its instance.
    NoBackpressure(TaskId),
    SubtaskResolved(WaitableId),
    PendingEvent(WaitableId),
    /// A waitable set (by handle index in `inst`) has an event, and, when
    /// `exclusive`, no thread holds the instance exclusively.
    SetEvent {
        inst: u32,
        set: u32,
        exclusive: bool,
    },
    /// `not inst.exclusive_thread`
    NotExclusive(u32),
}

/// Task.State
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TaskState {
    Initial,
    Started,
    PendingCancel,
    CancelDelivered,
    Resolved,
}

/// Gives a call its arguments (`OnStart`).
pub(super) type OnStart = Box<dyn FnOnce(&mut Store, &Shared) -> Result<Vec<Value>, Trap> + Send>;
/// Takes a call's result, or `None` when it was cancelled (`OnResolve`).
pub(super) type OnResolve =
    Box<dyn FnOnce(&mut Store, &Shared, Option<Option<Value>>) -> Result<(), Trap> + Send>;

/// Task (CanonicalABI.md, "Task State").
pub(super) struct TaskObj {
    pub(super) func: Arc<Func>,
    on_start: Option<OnStart>,
    on_resolve: Option<OnResolve>,
    pub(super) state: TaskState,
    pub(super) num_borrows: u32,
    implicit_thread: Option<ThreadId>,
    threads: Vec<ThreadId>,
    /// Its `callback` has been called (the first core call returned).
    in_callbacks: bool,
}

impl TaskObj {
    /// `needs_exclusive`
    fn needs_exclusive(&self) -> bool {
        !self.func.opts.is_async || self.func.opts.callback.is_some()
    }
}

/// EventCode
const EVENT_NONE: u32 = 0;
const EVENT_SUBTASK: u32 = 1;
const EVENT_TASK_CANCELLED: u32 = 6;

/// `BLOCKED`
const BLOCKED: u32 = 0xffff_ffff;

/// Subtask.State
const STARTING: u32 = 0;
const STARTED: u32 = 1;
const RETURNED: u32 = 2;
const CANCELLED_BEFORE_STARTED: u32 = 3;
const CANCELLED_BEFORE_RETURNED: u32 = 4;

/// CopyResult
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CopyResult {
    Completed = 0,
    Dropped = 1,
    Cancelled = 2,
}

/// CopyState
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CopyState {
    Idle,
    Copying,
    CancellingCopy,
    Done,
}

/// Which end of which kind of channel a [`CopyEnd`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EndKind {
    ReadableStream,
    WritableStream,
    ReadableFuture,
    WritableFuture,
}

impl EndKind {
    fn event_code(self) -> u32 {
        match self {
            EndKind::ReadableStream => 2,
            EndKind::WritableStream => 3,
            EndKind::ReadableFuture => 4,
            EndKind::WritableFuture => 5,
        }
    }

    fn is_future(self) -> bool {
        matches!(self, EndKind::ReadableFuture | EndKind::WritableFuture)
    }

    fn noun(self) -> &'static str {
        if self.is_future() { "future" } else { "stream" }
    }
}

/// A waitable's `pending_event` closure, as data.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// `subtask_event`
    Subtask,
    /// `stream_event(result, reclaim_buffer)`: `reclaim` resets the shared
    /// stream's pending buffer (it was this end's).
    Stream { result: CopyResult, reclaim: bool },
    /// `future_event(result)`
    Future(CopyResult),
}

/// Subtask (CanonicalABI.md, "Subtask State").
#[derive(Debug)]
struct Subtask {
    state: u32,
    /// The callee task to request cancellation of (none: a host call).
    on_cancel: Option<TaskId>,
    /// Handles lent to the callee; `None` once the resolve is delivered.
    lenders: Option<Vec<u32>>,
    cancellation_requested: bool,
    flat_results: Vec<Val>,
    /// `maybe_on_progress` is `on_progress` (the subtask is in the table).
    notify: bool,
}

impl Subtask {
    fn resolved(&self) -> bool {
        self.state >= RETURNED
    }
}

/// A stream or future end (CanonicalABI.md, `CopyEnd`).
#[derive(Debug)]
struct CopyEnd {
    kind: EndKind,
    state: CopyState,
    shared: usize,
    /// The buffer of the copy in progress.
    buffer: Option<Buffer>,
}

/// What a waitable is.
#[derive(Debug)]
enum WaitableKind {
    Subtask(Subtask),
    End(CopyEnd),
}

/// Waitable (CanonicalABI.md, "Waitable State").
#[derive(Debug)]
pub(super) struct Waitable {
    inst: u32,
    /// Its handle index (0 until it is in the table).
    index: u32,
    pending: Option<Pending>,
    /// The waitable set it joined (a handle index in `inst`).
    wset: Option<u32>,
    has_sync_waiter: bool,
    kind: WaitableKind,
}

/// WaitableSet (CanonicalABI.md, "Waitable State").
#[derive(Debug, Default)]
pub(super) struct WaitableSet {
    elems: Vec<WaitableId>,
    num_waiting: u32,
}

/// A guest buffer of a stream or future copy (`BufferGuestImpl`).
#[derive(Clone, Debug)]
struct Buffer {
    t: Option<ValType>,
    opts: Options,
    inst: u32,
    ptr: u64,
    progress: u32,
    length: u32,
}

/// Buffer.MAX_LENGTH
const MAX_BUFFER_LENGTH: u32 = (1 << 28) - 1;

impl Buffer {
    fn remain(&self) -> u32 {
        self.length - self.progress
    }
}

/// SharedStreamImpl / SharedFutureImpl: the state both ends share.
pub(super) struct SharedObj {
    t: Option<ValType>,
    future: bool,
    dropped: bool,
    /// `pending_inst` and the end whose buffer is `pending_buffer`.
    pending: Option<(u32, WaitableId)>,
    /// The host's end, when the host holds one.
    host: Option<HostEnd>,
}

/// The host's end of a stream or future (CanonicalABI.md's host buffers).
enum HostEnd {
    /// The host writes what this gives.
    Source(HostPollSource),
    /// The host reads what the guest writes.
    Sink(HostPollSink),
}

/// Where a host-written stream's values come from: called with the most
/// values the reader takes now, it gives some (blocking the host as long
/// as it must), or `None` at the end.
pub type HostSource = Box<dyn FnMut(usize) -> Option<Vec<Value>> + Send>;

/// Where a host-read stream's values go.
pub type HostSink = Box<dyn FnMut(Vec<Value>) + Send>;

/// A host-written stream's values that may not be there yet: called with
/// the most values the reader takes now, it gives some, `None` at the end,
/// or `Pending`, and the guest's read waits (other threads run) until a
/// later poll of the event loop gives something.
pub type HostPollSource = Box<dyn FnMut(usize) -> Poll<Option<Vec<Value>>> + Send>;

/// A host-read stream that may not take values now: called with the
/// values the guest writes, it takes a prefix (`Ready(n)`) or none yet
/// (`Pending`: the guest's write waits); called with `None` once the guest
/// drops its writable end.
pub type HostPollSink = Box<dyn FnMut(Option<&[Value]>) -> Poll<usize> + Send>;

/// What a host function ([`super::HostFuncCx`]) can do besides computing
/// its result: make streams and futures the host writes, and read the
/// streams a component passes it.
pub struct HostCx<'a> {
    store: &'a mut Store,
    state: &'a Shared,
}

impl<'a> HostCx<'a> {
    pub(super) fn new(store: &'a mut Store, state: &'a Shared) -> HostCx<'a> {
        HostCx { store, state }
    }

    fn new_shared(
        &mut self,
        t: Option<ValType>,
        future: bool,
        host: HostEnd,
    ) -> Result<Value, Trap> {
        let mut st = lock(self.state)?;
        st.sched.shared.push(SharedObj {
            t,
            future,
            dropped: false,
            pending: None,
            host: Some(host),
        });
        Ok(Value::Handle((st.sched.shared.len() - 1) as u32))
    }

    /// A stream of `t` the host writes from `source`: the value to give
    /// the component (its readable end).
    pub fn stream_from(
        &mut self,
        t: Option<ValType>,
        mut source: HostSource,
    ) -> Result<Value, Trap> {
        self.stream_polled(t, Box::new(move |n| Poll::Ready(source(n))))
    }

    /// A stream of `t` the host writes from `source`, whose values may
    /// come later: the value to give the component (its readable end).
    pub fn stream_polled(
        &mut self,
        t: Option<ValType>,
        source: HostPollSource,
    ) -> Result<Value, Trap> {
        self.new_shared(t, false, HostEnd::Source(source))
    }

    /// A future of `t` the host has written `v` to: the value to give the
    /// component (its readable end).
    pub fn future_ready(&mut self, t: Option<ValType>, v: Value) -> Result<Value, Trap> {
        let mut v = Some(v);
        self.future_polled(t, Box::new(move || Poll::Ready(v.take())))
    }

    /// A future of `t` whose value the host writes once `value` gives it
    /// (`Ready(None)` after it was given): the value to give the component.
    pub fn future_polled(
        &mut self,
        t: Option<ValType>,
        mut value: Box<dyn FnMut() -> Poll<Option<Value>> + Send>,
    ) -> Result<Value, Trap> {
        let source: HostPollSource = Box::new(move |_| value().map(|v| v.map(|v| vec![v])));
        self.new_shared(t, true, HostEnd::Source(source))
    }

    /// Reads the stream a component passed (`v`, its readable end) to its
    /// end: every value written, now or later, goes to `sink`.
    pub fn stream_into(&mut self, v: &Value, mut sink: HostSink) -> Result<(), Trap> {
        self.stream_into_polled(
            v,
            Box::new(move |vs| {
                let n = vs.map_or(0, <[Value]>::len);
                if let Some(vs) = vs {
                    sink(vs.to_vec());
                }
                Poll::Ready(n)
            }),
        )
    }

    /// Reads the stream a component passed (`v`, its readable end) into a
    /// sink that may not take values at once ([`HostPollSink`]).
    pub fn stream_into_polled(&mut self, v: &Value, mut sink: HostPollSink) -> Result<(), Trap> {
        let Value::Handle(h) = v else {
            return Err(trap("host: not a stream"));
        };
        let shared = *h as usize;
        let (pending, dropped) = {
            let st = lock(self.state)?;
            let Some(s) = st.sched.shared.get(shared) else {
                return Err(trap("host: unknown stream"));
            };
            (s.pending, s.dropped)
        };
        if dropped && pending.is_none() {
            // The component dropped its writable end before passing the
            // readable one: the host reads the end at once.
            let _ = sink(None);
            return Ok(());
        }
        lock(self.state)?.sched.shared[shared].host = Some(HostEnd::Sink(sink));
        // A write the component started before it passed the stream.
        if let Some((_, w)) = pending {
            host_rw(self.store, self.state, shared, w)?;
        }
        Ok(())
    }
}

/// A copy against the host's end of `shared`: the guest's copy `w` reads
/// from a source or writes to a sink. Gives whether it completed; a copy
/// the host cannot serve yet stays the stream's pending one, retried by
/// [`poll_host`].
fn host_rw(store: &mut Store, state: &Shared, shared: usize, w: WaitableId) -> Result<bool, Trap> {
    let (buf, end) = {
        let mut st = lock(state)?;
        let buf = st.buffer(w).cloned();
        let end = st.sched.shared[shared].host.take();
        (buf, end)
    };
    let Some(buf) = buf else {
        return Err(trap("internal: copy without a buffer"));
    };
    let put_back = |end: HostEnd| -> Result<(), Trap> {
        let mut st = lock(state)?;
        let s = &mut st.sched.shared[shared];
        // A guest that dropped its end meanwhile no longer needs the host's.
        if !s.dropped || s.pending.is_some() {
            s.host = Some(end);
        }
        Ok(())
    };
    let size = buf.t.as_ref().map_or(0, abi::elem_size);
    let n: u32;
    let result = match end {
        Some(HostEnd::Source(mut source)) => {
            let got = if buf.remain() > 0 {
                source(buf.remain() as usize)
            } else {
                Poll::Ready(Some(Vec::new()))
            };
            put_back(HostEnd::Source(source))?;
            match got {
                Poll::Pending => return wait_on_host(state, shared, buf.inst, w),
                Poll::Ready(Some(mut vs)) => {
                    vs.truncate(buf.remain() as usize);
                    if let Some(t) = &buf.t {
                        let mut cx = Cx::new(store, state, buf.inst, &buf.opts);
                        for (i, v) in vs.iter().enumerate() {
                            abi::store(&mut cx, v, t, buf.ptr + i as u64 * size)
                                .map_err(|e| abi_trap(e, true))?;
                        }
                    }
                    n = vs.len() as u32;
                    CopyResult::Completed
                }
                // The host's end is closed: the writer dropped.
                Poll::Ready(None) => {
                    n = 0;
                    CopyResult::Dropped
                }
            }
        }
        Some(HostEnd::Sink(mut sink)) => {
            let k = buf.remain();
            // A payload-less stream's length is not bounded by a memory:
            // only values read from memory take room.
            let mut vs = Vec::new();
            if let Some(t) = &buf.t {
                vs.reserve(k as usize);
                let mut cx = Cx::new(store, state, buf.inst, &buf.opts);
                for i in 0..u64::from(k) {
                    vs.push(
                        abi::load(&mut cx, buf.ptr + i * size, t).map_err(|e| abi_trap(e, true))?,
                    );
                }
            }
            let took = sink(Some(&vs));
            put_back(HostEnd::Sink(sink))?;
            match took {
                Poll::Pending => return wait_on_host(state, shared, buf.inst, w),
                // Payload-less values are all taken.
                Poll::Ready(took) if buf.t.is_some() => {
                    n = u32::try_from(took).unwrap_or(u32::MAX).min(k);
                    CopyResult::Completed
                }
                Poll::Ready(_) => {
                    n = k;
                    CopyResult::Completed
                }
            }
        }
        None => return Err(trap("internal: no host end")),
    };
    let mut st = lock(state)?;
    if let Ok(e) = st.end_mut(w)
        && let Some(b) = e.buffer.as_mut()
    {
        b.ptr += u64::from(n) * size;
        b.progress += n;
    }
    let s = &mut st.sched.shared[shared];
    if s.pending.is_some_and(|(_, p)| p == w) {
        s.pending = None;
    }
    st.on_copy_done(w, result)?;
    Ok(true)
}

/// The host cannot serve the copy `w` of `inst` yet: it waits as the
/// stream's pending copy.
fn wait_on_host(state: &Shared, shared: usize, inst: u32, w: WaitableId) -> Result<bool, Trap> {
    lock(state)?.sched.shared[shared].pending = Some((inst, w));
    Ok(false)
}

/// A host call that has not finished ([`super::HostCall::Later`]), with
/// where its result goes.
pub(super) struct PendingCall {
    poll: HostPending,
    ty: Arc<FuncType>,
    on_resolve: OnResolve,
}

/// What [`poll_host`] found.
#[derive(PartialEq, Eq)]
pub(super) enum HostProgress {
    /// Some host work finished.
    Made,
    /// Host work is pending but none finished.
    Waiting,
    /// No host work is pending.
    Idle,
}

/// Polls every pending host call and every guest copy waiting on a host
/// end, once.
pub(super) fn poll_host(store: &mut Store, state: &Shared) -> Result<HostProgress, Trap> {
    let calls = std::mem::take(&mut lock(state)?.sched.host_calls);
    let copies: Vec<(usize, WaitableId)> = lock(state)?
        .sched
        .shared
        .iter()
        .enumerate()
        .filter(|(_, s)| s.host.is_some())
        .filter_map(|(i, s)| s.pending.map(|(_, w)| (i, w)))
        .collect();
    if calls.is_empty() && copies.is_empty() {
        return Ok(HostProgress::Idle);
    }
    let mut made = false;
    let mut left = Vec::new();
    for mut c in calls {
        match (c.poll)(&mut HostCx { store, state }) {
            Poll::Pending => left.push(c),
            Poll::Ready(r) => {
                let r = r?;
                if r.is_some() != c.ty.result.is_some() {
                    return Err(trap("host function returned a result of the wrong arity"));
                }
                (c.on_resolve)(store, state, Some(r))?;
                made = true;
            }
        }
    }
    lock(state)?.sched.host_calls.extend(left);
    for (shared, w) in copies {
        // The copy may have been cancelled or finished meanwhile.
        let still = lock(state)?.sched.shared[shared]
            .pending
            .is_some_and(|(_, p)| p == w);
        if still && host_rw(store, state, shared, w)? {
            made = true;
        }
    }
    Ok(if made {
        HostProgress::Made
    } else {
        HostProgress::Waiting
    })
}

/// Polls the host until some work finishes; `false` when none is pending
/// (the caller is deadlocked). Waits between polls, longer the longer
/// nothing happens, and gives up when the run is interrupted.
pub(super) fn wait_for_host(store: &mut Store, state: &Shared) -> Result<bool, Trap> {
    let mut pause = std::time::Duration::from_micros(50);
    loop {
        match poll_host(store, state)? {
            HostProgress::Made => return Ok(true),
            HostProgress::Idle => return Ok(false),
            HostProgress::Waiting => {}
        }
        if store
            .config()
            .interrupt
            .as_ref()
            .is_some_and(|i| i.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(Trap::Core(crate::exec::Trap::Interrupted));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(10));
    }
}

/// The concurrency part of [`State`].
#[derive(Default)]
pub(super) struct Sched {
    pub(super) tasks: Vec<Option<TaskObj>>,
    pub(super) threads: Vec<Option<ThreadObj>>,
    /// `Store.waiting`
    waiting: Vec<ThreadId>,
    /// The running thread (`current_thread()`), if a component thread runs.
    pub(super) current: Option<ThreadId>,
    pub(super) waitables: Vec<Option<Waitable>>,
    pub(super) shared: Vec<SharedObj>,
    /// Error contexts' debug messages.
    pub(super) errors: Vec<String>,
    pub(super) rng: Rng,
    /// Host calls that have not finished.
    host_calls: Vec<PendingCall>,
}

/// An event tuple: code, index, payload.
type Event = (u32, u32, u32);

/// The live object at `i` of an arena (a freed slot is `None`).
fn slot<'a, T>(arena: &'a [Option<T>], i: usize, what: &str) -> Result<&'a T, Trap> {
    arena
        .get(i)
        .and_then(Option::as_ref)
        .ok_or_else(|| trap(format!("internal: unknown {what}")))
}

/// [`slot`], to change.
fn slot_mut<'a, T>(arena: &'a mut [Option<T>], i: usize, what: &str) -> Result<&'a mut T, Trap> {
    arena
        .get_mut(i)
        .and_then(Option::as_mut)
        .ok_or_else(|| trap(format!("internal: unknown {what}")))
}

impl State {
    fn thread(&self, t: ThreadId) -> Result<&ThreadObj, Trap> {
        slot(&self.sched.threads, t, "thread")
    }

    fn thread_mut(&mut self, t: ThreadId) -> Result<&mut ThreadObj, Trap> {
        slot_mut(&mut self.sched.threads, t, "thread")
    }

    pub(super) fn task(&self, t: TaskId) -> Result<&TaskObj, Trap> {
        slot(&self.sched.tasks, t, "task")
    }

    pub(super) fn task_mut(&mut self, t: TaskId) -> Result<&mut TaskObj, Trap> {
        slot_mut(&mut self.sched.tasks, t, "task")
    }

    fn waitable(&self, w: WaitableId) -> Result<&Waitable, Trap> {
        slot(&self.sched.waitables, w, "waitable")
    }

    fn waitable_mut(&mut self, w: WaitableId) -> Result<&mut Waitable, Trap> {
        slot_mut(&mut self.sched.waitables, w, "waitable")
    }

    fn subtask_mut(&mut self, w: WaitableId) -> Result<&mut Subtask, Trap> {
        match &mut self.waitable_mut(w)?.kind {
            WaitableKind::Subtask(s) => Ok(s),
            WaitableKind::End(_) => Err(trap("internal: not a subtask")),
        }
    }

    fn end_mut(&mut self, w: WaitableId) -> Result<&mut CopyEnd, Trap> {
        match &mut self.waitable_mut(w)?.kind {
            WaitableKind::End(e) => Ok(e),
            WaitableKind::Subtask(_) => Err(trap("internal: not a stream or future end")),
        }
    }

    fn new_waitable(&mut self, inst: u32, kind: WaitableKind) -> WaitableId {
        self.sched.waitables.push(Some(Waitable {
            inst,
            index: 0,
            pending: None,
            wset: None,
            has_sync_waiter: false,
            kind,
        }));
        self.sched.waitables.len() - 1
    }

    /// Puts a waitable in its instance's table.
    fn add_waitable(&mut self, w: WaitableId) -> Result<u32, Trap> {
        let inst = self.waitable(w)?.inst;
        let i = self.inst(inst).handles.add(Element::Waitable(w))?;
        self.waitable_mut(w)?.index = i;
        Ok(i)
    }

    /// The running thread, or a trap for built-ins that need one.
    fn current(&self) -> Result<ThreadId, Trap> {
        self.sched
            .current
            .ok_or_else(|| trap("cannot block a synchronous task before returning"))
    }

    fn current_task(&self) -> Result<TaskId, Trap> {
        Ok(self.thread(self.current()?)?.task)
    }

    /// Whether the running thread may block before its task returns: only
    /// threads of `async`-typed tasks may (Concurrency.md, "Blocking").
    fn may_block(&self) -> bool {
        self.current_task()
            .and_then(|t| self.task(t))
            .is_ok_and(|t| t.func.ty.is_async || t.state == TaskState::Resolved)
    }

    /// `trap_if` a synchronous built-in would block a synchronous task
    /// with no other thread ready to run (the reference tests'
    /// during-sync-call-*.wast: a ready thread anywhere in the same
    /// top-level component instance lets the call go on, and `canon lift`
    /// then finds whether one may run).
    fn check_may_block(&self) -> Result<(), Trap> {
        let cur = self.sched.current;
        let root = |t: ThreadId| {
            self.thread(t)
                .and_then(|th| self.task(th.task))
                .ok()
                .and_then(|k| self.self_and_ancestors(k.func.inst).last().copied())
        };
        let mine = cur.and_then(root);
        let other_ready = || {
            self.sched
                .waiting
                .iter()
                .any(|&t| Some(t) != cur && self.thread_ready(t) && root(t) == mine)
        };
        if self.may_block() || other_ready() {
            Ok(())
        } else {
            Err(trap("cannot block a synchronous task before returning"))
        }
    }

    /// The threads a non-`async`-typed call into `inst` may resume while it
    /// has not returned: ready threads of `inst` that can use the stack
    /// (not the instance's exclusive thread, nor the implicit thread of an
    /// `async`-typed task that needs exclusive use of it).
    fn stack_candidates(&self, inst: u32) -> Vec<ThreadId> {
        let excl = self.insts[inst as usize].exclusive_thread;
        self.sched
            .waiting
            .iter()
            .copied()
            .filter(|&t| {
                Some(t) != excl
                    && self.thread_ready(t)
                    && self.thread(t).is_ok_and(|th| {
                        th.index.is_some()
                            && self.task(th.task).is_ok_and(|k| {
                                k.func.inst == inst
                                    && !(k.implicit_thread == Some(t)
                                        && k.func.ty.is_async
                                        && k.needs_exclusive())
                            })
                    })
            })
            .collect()
    }

    fn has_backpressure(&self, task: TaskId) -> bool {
        let Ok(t) = self.task(task) else { return false };
        let inst = &self.insts[t.func.inst as usize];
        inst.backpressure > 0 || (t.needs_exclusive() && inst.exclusive_thread.is_some())
    }

    fn set_has_pending(&self, inst: u32, set: u32) -> bool {
        match self.insts[inst as usize].handles.element(set) {
            Ok(Element::WaitableSet(s)) => s
                .elems
                .iter()
                .any(|&w| self.waitable(w).is_ok_and(|w| w.pending.is_some())),
            _ => false,
        }
    }

    /// Evaluates a `ready_func`.
    fn is_ready(&self, r: Ready) -> bool {
        match r {
            Ready::Always => true,
            Ready::NoBackpressure(t) => !self.has_backpressure(t),
            Ready::SubtaskResolved(w) => matches!(
                self.waitable(w).map(|w| &w.kind),
                Ok(WaitableKind::Subtask(s)) if s.resolved()
            ),
            Ready::PendingEvent(w) => self.waitable(w).is_ok_and(|w| w.pending.is_some()),
            Ready::SetEvent {
                inst,
                set,
                exclusive,
            } => {
                (!exclusive || self.insts[inst as usize].exclusive_thread.is_none())
                    && self.set_has_pending(inst, set)
            }
            Ready::NotExclusive(inst) => self.insts[inst as usize].exclusive_thread.is_none(),
        }
    }

    /// `Thread.ready()`
    fn thread_ready(&self, t: ThreadId) -> bool {
        self.thread(t).is_ok_and(|th| {
            !th.running
                && th.ready.is_some_and(|r| self.is_ready(r))
                && th
                    .reacquire
                    .is_none_or(|i| self.insts[i as usize].exclusive_thread.is_none())
        })
    }

    /// `start_waiting_internal`
    fn start_waiting(&mut self, t: ThreadId, r: Ready) -> Result<(), Trap> {
        self.thread_mut(t)?.ready = Some(r);
        self.sched.waiting.push(t);
        Ok(())
    }

    /// `stop_waiting_internal`
    fn stop_waiting(&mut self, t: ThreadId) -> Result<(), Trap> {
        self.thread_mut(t)?.ready = None;
        self.sched.waiting.retain(|&w| w != t);
        Ok(())
    }

    /// `Task.deliver_pending_cancel`
    fn deliver_pending_cancel(&mut self, task: TaskId, cancellable: bool) -> Result<bool, Trap> {
        let t = self.task_mut(task)?;
        if cancellable && t.state == TaskState::PendingCancel {
            t.state = TaskState::CancelDelivered;
            return Ok(true);
        }
        Ok(false)
    }

    /// `Task.register_thread`
    fn register_thread(&mut self, task: TaskId, t: ThreadId) -> Result<u32, Trap> {
        let inst = self.task(task)?.func.inst;
        self.task_mut(task)?.threads.push(t);
        let i = self.inst(inst).threads.add(t)?;
        self.thread_mut(t)?.index = Some(i);
        Ok(i)
    }

    /// `Task.unregister_thread`
    fn unregister_thread(&mut self, task: TaskId, t: ThreadId) -> Result<(), Trap> {
        let tk = self.task_mut(task)?;
        tk.threads.retain(|&x| x != t);
        let (empty, inst) = (tk.threads.is_empty(), tk.func.inst);
        if empty && tk.state != TaskState::Resolved {
            return Err(trap("async-lifted export failed to produce a result"));
        }
        if let Some(i) = self.thread(t)?.index {
            self.inst(inst).threads.remove(i)?;
        }
        if empty {
            self.sched.tasks[task] = None;
        }
        Ok(())
    }

    /// `Waitable.join`
    fn join(&mut self, w: WaitableId, set: Option<u32>) -> Result<(), Trap> {
        let (inst, old) = {
            let wt = self.waitable(w)?;
            (wt.inst, wt.wset)
        };
        if let Some(old) = old
            && let Ok(Element::WaitableSet(s)) = self.inst(inst).handles.element_mut(old)
        {
            s.elems.retain(|&x| x != w);
        }
        self.waitable_mut(w)?.wset = set;
        if let Some(set) = set
            && let Ok(Element::WaitableSet(s)) = self.inst(inst).handles.element_mut(set)
        {
            s.elems.push(w);
        }
        Ok(())
    }

    /// `Waitable.get_pending_event`: the event, with its effects.
    fn get_pending_event(&mut self, w: WaitableId) -> Result<Event, Trap> {
        let wt = self.waitable_mut(w)?;
        let Some(p) = wt.pending.take() else {
            return Err(trap("internal: no pending event"));
        };
        let (index, inst) = (wt.index, wt.inst);
        match (p, &mut wt.kind) {
            (Pending::Subtask, WaitableKind::Subtask(s)) => {
                // subtask_event: a resolved subtask delivers its resolve.
                let state = s.state;
                if s.resolved()
                    && let Some(lenders) = s.lenders.take()
                {
                    self.return_lends(inst, &lenders);
                }
                Ok((EVENT_SUBTASK, index, state))
            }
            (Pending::Stream { result, reclaim }, WaitableKind::End(e)) => {
                // stream_event
                let code = e.kind.event_code();
                let progress = e.buffer.take().map_or(0, |b| b.progress);
                e.state = if result == CopyResult::Dropped {
                    CopyState::Done
                } else {
                    CopyState::Idle
                };
                let shared = e.shared;
                if reclaim {
                    self.sched.shared[shared].pending = None;
                }
                Ok((code, index, result as u32 | (progress << 4)))
            }
            (Pending::Future(result), WaitableKind::End(e)) => {
                // future_event
                let code = e.kind.event_code();
                e.buffer = None;
                e.state = if matches!(result, CopyResult::Dropped | CopyResult::Completed) {
                    CopyState::Done
                } else {
                    CopyState::Idle
                };
                Ok((code, index, result as u32))
            }
            _ => Err(trap("internal: event of the wrong kind")),
        }
    }

    /// `Subtask.deliver_resolve`'s return of lent handles.
    fn return_lends(&mut self, inst: u32, lenders: &[u32]) {
        for &i in lenders {
            if let Ok(h) = self.inst(inst).handles.get_mut(i) {
                h.num_lends = h.num_lends.saturating_sub(1);
            }
        }
    }

    /// `WaitableSet.get_pending_event`: one of the set's events, chosen
    /// by the scheduler.
    fn set_get_pending(&mut self, inst: u32, set: u32) -> Result<Event, Trap> {
        let elems = match self.inst(inst).handles.element(set)? {
            Element::WaitableSet(s) => s.elems.clone(),
            _ => return Err(trap("internal: not a waitable set")),
        };
        let ready: Vec<WaitableId> = elems
            .into_iter()
            .filter(|&w| self.waitable(w).is_ok_and(|w| w.pending.is_some()))
            .collect();
        if ready.is_empty() {
            return Err(trap("internal: no pending event in the set"));
        }
        let pick = ready[self.sched.rng.below(ready.len())];
        self.get_pending_event(pick)
    }

    /// Sets a waitable's pending event (`set_pending_event`).
    fn set_pending(&mut self, w: WaitableId, p: Pending) -> Result<(), Trap> {
        self.waitable_mut(w)?.pending = Some(p);
        Ok(())
    }

    /// `on_copy_done(result)` of the copy that `end` started.
    fn on_copy_done(&mut self, end: WaitableId, result: CopyResult) -> Result<(), Trap> {
        let future = self.end_mut(end)?.kind.is_future();
        let p = if future {
            Pending::Future(result)
        } else {
            Pending::Stream {
                result,
                reclaim: false,
            }
        };
        self.set_pending(end, p)
    }

    /// `reset_and_notify_pending(result)`
    fn reset_and_notify_pending(&mut self, shared: usize, result: CopyResult) -> Result<(), Trap> {
        if let Some((_, end)) = self.sched.shared[shared].pending.take() {
            self.on_copy_done(end, result)?;
        }
        Ok(())
    }

    /// `SharedStreamImpl.drop` / `SharedFutureImpl.drop`
    fn shared_drop(&mut self, shared: usize) -> Result<(), Trap> {
        let s = &mut self.sched.shared[shared];
        if !s.dropped {
            s.dropped = true;
            // The host's end learns that the guest's is gone: a sink reads
            // the end of the stream, a source is released.
            match s.host.take() {
                Some(HostEnd::Sink(mut sink)) => {
                    let _ = sink(None);
                }
                Some(HostEnd::Source(source)) => drop(source),
                None => {}
            }
            if s.pending.is_some() {
                self.reset_and_notify_pending(shared, CopyResult::Dropped)?;
            }
        }
        Ok(())
    }

    fn buffer(&self, end: WaitableId) -> Option<&Buffer> {
        match &self.waitable(end).ok()?.kind {
            WaitableKind::End(e) => e.buffer.as_ref(),
            WaitableKind::Subtask(_) => None,
        }
    }

    fn remain(&self, end: WaitableId) -> u32 {
        self.buffer(end).map_or(0, Buffer::remain)
    }

    fn is_zero_length(&self, end: WaitableId) -> bool {
        self.buffer(end).is_none_or(|b| b.length == 0)
    }
}

// ---------------------------------------------------------------------------
// Threads

/// `Thread(task, thread_func)`: a new suspended thread of `task`.
fn new_thread(state: &Shared, task: TaskId, f: ThreadFunc) -> Result<ThreadId, Trap> {
    let cont = cont_new(state, f)?;
    let mut st = lock(state)?;
    st.sched.threads.push(Some(ThreadObj {
        cont,
        running: false,
        ready: None,
        task,
        cancellable: false,
        index: None,
        reacquire: None,
        storage: [0; 2],
    }));
    Ok(st.sched.threads.len() - 1)
}

/// `Thread.resume`: runs `t` (and the threads it switches to) until it
/// blocks or exits.
pub(super) fn resume(
    store: &mut Store,
    state: &Shared,
    t: ThreadId,
    cancelled: bool,
) -> Result<(), Trap> {
    {
        let mut st = lock(state)?;
        let th = st.thread(t)?;
        if th.running {
            return Err(trap("internal: resuming a running thread"));
        }
        if th.ready.is_some() {
            st.stop_waiting(t)?;
        }
    }
    let mut next = Some(t);
    let mut cancelled = cancelled;
    while let Some(t) = next {
        let (tx, prev) = {
            let mut st = lock(state)?;
            let th = st.thread_mut(t)?;
            if th.running {
                return Err(trap("internal: resuming a running thread"));
            }
            th.running = true;
            let tx = th.cont.clone();
            (tx, st.sched.current.replace(t))
        };
        let back = switch_into(store, &tx, cancelled);
        let mut st = lock(state)?;
        st.sched.current = prev;
        match back? {
            Switched::Blocked(to) => {
                st.thread_mut(t)?.running = false;
                next = to;
            }
            Switched::Exited(result) => {
                st.sched.threads[t] = None;
                drop(st);
                result?;
                next = None;
            }
        }
        cancelled = false;
    }
    Ok(())
}

/// `Thread.wait_until`: blocks the running thread until `ready` holds
/// (or it is cancelled); returns whether it was cancelled.
fn wait_until(
    store: &mut Store,
    state: &Shared,
    ready: Ready,
    cancellable: bool,
) -> Result<bool, Trap> {
    {
        let mut st = lock(state)?;
        let t = st.current()?;
        let task = st.thread(t)?.task;
        if st.deliver_pending_cancel(task, cancellable)? {
            return Ok(true);
        }
        // The specification may go on without blocking when `ready`
        // already holds; wasmtime does for every wait but a yield, and the
        // reference tests depend on it (big-interleaving-test.wast).
        let yielding = matches!(ready, Ready::Always | Ready::NotExclusive(_));
        if !yielding && st.is_ready(ready) {
            return Ok(false);
        }
        st.start_waiting(t, ready)?;
        st.thread_mut(t)?.cancellable = cancellable;
    }
    block(store, None)
}

/// A synchronous built-in's wait (`wait_until` in `canon lower`,
/// `wait_for_pending_event`). wasmtime and the reference tests
/// (sync-streams.wast) let the thread of a task that has already returned
/// its value, in its first core call, give up its instance's exclusive
/// lock while it waits like this; before returning it keeps the lock
/// (async-calls-sync.wast), and so does a callback (as definitions.py and
/// wasmtime have it: async-scenarios/test_callback_interleaving.wast).
fn sync_wait(store: &mut Store, state: &Shared, ready: Ready) -> Result<bool, Trap> {
    let held = {
        let mut st = lock(state)?;
        let t = st.current()?;
        let task = st.task(st.thread(t)?.task)?;
        let (inst, resolved) = (task.func.inst, task.state == TaskState::Resolved);
        let held =
            resolved && !task.in_callbacks && st.insts[inst as usize].exclusive_thread == Some(t);
        if held {
            st.inst(inst).exclusive_thread = None;
            st.thread_mut(t)?.reacquire = Some(inst);
        }
        held.then_some((t, inst))
    };
    let r = wait_until(store, state, ready, false);
    if let Some((t, inst)) = held {
        let mut st = lock(state)?;
        st.thread_mut(t)?.reacquire = None;
        st.inst(inst).exclusive_thread = Some(t);
    }
    r
}

/// `Thread.suspend`
fn suspend(store: &mut Store, state: &Shared, cancellable: bool) -> Result<bool, Trap> {
    {
        let mut st = lock(state)?;
        let t = st.current()?;
        let task = st.thread(t)?.task;
        if st.deliver_pending_cancel(task, cancellable)? {
            return Ok(true);
        }
        st.thread_mut(t)?.cancellable = cancellable;
    }
    block(store, None)
}

/// `Thread.{suspend,yield}_then_resume`: blocks, switching to `other`.
fn switch_to(
    store: &mut Store,
    state: &Shared,
    cancellable: bool,
    other: ThreadId,
    yielding: bool,
) -> Result<bool, Trap> {
    {
        let mut st = lock(state)?;
        let t = st.current()?;
        let task = st.thread(t)?.task;
        if st.deliver_pending_cancel(task, cancellable)? {
            return Ok(true);
        }
        if yielding {
            st.start_waiting(t, Ready::Always)?;
        }
        st.thread_mut(t)?.cancellable = cancellable;
    }
    block(store, Some(other))
}

/// `Store.tick`: resumes one ready thread; `false` when none is ready.
pub(super) fn tick(store: &mut Store, state: &Shared) -> Result<bool, Trap> {
    let (t, inst) = {
        let mut st = lock(state)?;
        let ready: Vec<ThreadId> = st
            .sched
            .waiting
            .iter()
            .copied()
            .filter(|&t| st.thread_ready(t))
            .collect();
        if ready.is_empty() {
            return Ok(false);
        }
        let t = ready[st.sched.rng.below(ready.len())];
        let task = st.thread(t)?.task;
        (t, st.task(task)?.func.inst)
    };
    let entered = lock(state)?.enter_from(inst, None)?;
    resume(store, state, t, false)?;
    lock(state)?.leave_to(&entered);
    Ok(true)
}

/// Calls a component function from the host and runs the event loop until
/// it resolves (`Store.invoke`, then `Store.tick` while it has not).
pub(super) fn call_from_host(
    store: &mut Store,
    state: &Shared,
    f: &Callee,
    args: Vec<Value>,
) -> Result<Option<Value>, Trap> {
    let out: Arc<Mutex<Option<Option<Option<Value>>>>> = Arc::default();
    let sink = out.clone();
    let prev = lock(state)?.sched.current.take();
    let r = call_callee(
        store,
        state,
        f,
        None,
        Box::new(move |_, _| Ok(args)),
        Box::new(move |_, _, r| {
            *sink.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            Ok(())
        }),
    )
    .and_then(|_| {
        loop {
            if let Some(r) = out.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return Ok(r.flatten());
            }
            if !tick(store, state)? && !wait_for_host(store, state)? {
                return Err(trap(
                    "deadlock detected: event loop cannot make further progress",
                ));
            }
        }
    });
    lock(state)?.sched.current = prev;
    r
}

/// Runs the event loop from the host, with no call of its own, until
/// `done()` holds (`true`) or nothing can make progress any more (`false`):
/// what components go on doing after a call returned (a response body they
/// write after `task.return`, say) runs here.
pub(super) fn run_until(
    store: &mut Store,
    state: &Shared,
    done: &mut dyn FnMut() -> bool,
) -> Result<bool, Trap> {
    let prev = lock(state)?.sched.current.take();
    let r = loop {
        if done() {
            break Ok(true);
        }
        match tick(store, state).and_then(|t| Ok(t || wait_for_host(store, state)?)) {
            Ok(true) => {}
            Ok(false) => break Ok(done()),
            Err(e) => break Err(e),
        }
    };
    lock(state)?.sched.current = prev;
    r
}

// ---------------------------------------------------------------------------
// Tasks

/// `Task.enter_implicit_thread`: waits out backpressure; `false` when the
/// task was cancelled before it started.
fn enter_implicit_thread(store: &mut Store, state: &Shared, task: TaskId) -> Result<bool, Trap> {
    let (is_async, inst, t) = {
        let mut st = lock(state)?;
        let t = st.current()?;
        let tk = st.task_mut(task)?;
        tk.implicit_thread = Some(t);
        (tk.func.ty.is_async, tk.func.inst, t)
    };
    if is_async {
        let wait = {
            let mut st = lock(state)?;
            let wait =
                st.has_backpressure(task) || st.insts[inst as usize].num_waiting_to_enter > 0;
            if wait {
                st.inst(inst).num_waiting_to_enter += 1;
            }
            wait
        };
        if wait {
            let cancelled = wait_until(store, state, Ready::NoBackpressure(task), true)?;
            lock(state)?.inst(inst).num_waiting_to_enter -= 1;
            if cancelled {
                task_cancel(store, state, task)?;
                return Ok(false);
            }
        }
        let mut st = lock(state)?;
        if st.task(task)?.needs_exclusive() {
            st.inst(inst).exclusive_thread = Some(t);
        }
    }
    lock(state)?.register_thread(task, t)?;
    Ok(true)
}

/// `Task.exit_implicit_thread`
fn exit_implicit_thread(state: &Shared, task: TaskId) -> Result<(), Trap> {
    let mut st = lock(state)?;
    let t = st.current()?;
    let (is_async, exclusive, inst) = {
        let tk = st.task(task)?;
        (tk.func.ty.is_async, tk.needs_exclusive(), tk.func.inst)
    };
    st.unregister_thread(task, t)?;
    if is_async && exclusive {
        st.inst(inst).exclusive_thread = None;
    }
    Ok(())
}

/// `Task.start`: the arguments.
fn task_start(store: &mut Store, state: &Shared, task: TaskId) -> Result<Vec<Value>, Trap> {
    let on_start = {
        let mut st = lock(state)?;
        let tk = st.task_mut(task)?;
        tk.state = TaskState::Started;
        tk.on_start.take()
    };
    match on_start {
        Some(f) => f(store, state),
        None => Err(trap("internal: task started twice")),
    }
}

/// `Task.return_`
fn task_return(
    store: &mut Store,
    state: &Shared,
    task: TaskId,
    result: Option<Value>,
) -> Result<(), Trap> {
    let on_resolve = {
        let mut st = lock(state)?;
        let tk = st.task_mut(task)?;
        if tk.state == TaskState::Resolved {
            return Err(trap("task.return called twice"));
        }
        if tk.num_borrows > 0 {
            return Err(trap("borrow handles still remain at the end of the call"));
        }
        tk.on_resolve.take()
    };
    if let Some(f) = on_resolve {
        f(store, state, Some(result))?;
    }
    lock(state)?.task_mut(task)?.state = TaskState::Resolved;
    Ok(())
}

/// `Task.cancel`
fn task_cancel(store: &mut Store, state: &Shared, task: TaskId) -> Result<(), Trap> {
    let on_resolve = {
        let mut st = lock(state)?;
        let tk = st.task_mut(task)?;
        if tk.state != TaskState::CancelDelivered {
            return Err(trap(
                "`task.cancel` called without a delivered cancellation",
            ));
        }
        if tk.num_borrows > 0 {
            return Err(trap("borrow handles still remain at the end of the call"));
        }
        tk.on_resolve.take()
    };
    if let Some(f) = on_resolve {
        f(store, state, None)?;
    }
    lock(state)?.task_mut(task)?.state = TaskState::Resolved;
    Ok(())
}

/// `Task.request_cancellation`, from `caller`.
fn request_cancellation(
    store: &mut Store,
    state: &Shared,
    task: TaskId,
    caller: Option<u32>,
) -> Result<(), Trap> {
    let (pick, entered) = {
        let mut st = lock(state)?;
        let Ok(tk) = st.task(task) else {
            return Ok(());
        };
        match tk.state {
            TaskState::Initial => {
                let Some(t) = tk.implicit_thread else {
                    return Ok(());
                };
                st.task_mut(task)?.state = TaskState::CancelDelivered;
                drop(st);
                return resume(store, state, t, true);
            }
            TaskState::Started => {}
            _ => return Ok(()),
        }
        let inst = tk.func.inst;
        let mut candidates: Vec<ThreadId> = tk
            .threads
            .iter()
            .copied()
            .filter(|&t| st.thread(t).is_ok_and(|th| th.cancellable && !th.running))
            .collect();
        let excl = st.insts[inst as usize].exclusive_thread;
        if tk.needs_exclusive() && excl.is_some() && excl != tk.implicit_thread {
            let it = tk.implicit_thread;
            candidates.retain(|&t| Some(t) != it);
        }
        let may_enter = st
            .entering_set(inst, caller)
            .iter()
            .all(|&i| st.insts[i as usize].may_enter);
        if candidates.is_empty() || !may_enter {
            st.task_mut(task)?.state = TaskState::PendingCancel;
            return Ok(());
        }
        st.task_mut(task)?.state = TaskState::CancelDelivered;
        let entered = st.enter_from(inst, caller)?;
        let pick = candidates[st.sched.rng.below(candidates.len())];
        (pick, entered)
    };
    resume(store, state, pick, true)?;
    lock(state)?.leave_to(&entered);
    Ok(())
}

// ---------------------------------------------------------------------------
// canon lift / canon lower

/// Calls a component function: lifted core code (a new task), or the
/// host's. Returns the callee task (`OnCancel`), if any.
pub(super) fn call_callee(
    store: &mut Store,
    state: &Shared,
    callee: &Callee,
    caller: Option<Caller>,
    on_start: OnStart,
    on_resolve: OnResolve,
) -> Result<Option<TaskId>, Trap> {
    match callee {
        Callee::Lifted(f) => {
            // Store.lift: trap_if(not inst.may_enter_from(caller)), then enter.
            let entered = lock(state)?.enter_from(f.inst, caller.map(|c| c.inst))?;
            // A trap leaves the entered instances unenterable: the instance is
            // poisoned (the spec never runs `leave_to` after a trap).
            let task = canon_lift(store, state, f, caller, on_start, on_resolve)?;
            lock(state)?.leave_to(&entered);
            Ok(Some(task))
        }
        Callee::Host(ty, f) => {
            let args = on_start(store, state)?;
            let result = match f {
                HostImpl::Plain(f) => f(&args)?,
                HostImpl::Cx(f) => f(&mut HostCx { store, state }, &args)?,
                HostImpl::Async(f) => match f(&mut HostCx { store, state }, &args)? {
                    HostCall::Done(r) => r,
                    HostCall::Later(poll) => {
                        // The caller's subtask stays started; the event
                        // loop resolves it when `poll` is done.
                        lock(state)?.sched.host_calls.push(PendingCall {
                            poll,
                            ty: ty.clone(),
                            on_resolve,
                        });
                        return Ok(None);
                    }
                },
            };
            if result.is_some() != ty.result.is_some() {
                return Err(trap("host function returned a result of the wrong arity"));
            }
            on_resolve(store, state, Some(result))?;
            Ok(None)
        }
    }
}

/// `canon lift`: a new task and its implicit thread, run until it blocks
/// (a synchronous function type: until it resolves).
fn canon_lift(
    store: &mut Store,
    state: &Shared,
    f: &Arc<Func>,
    caller: Option<Caller>,
    on_start: OnStart,
    on_resolve: OnResolve,
) -> Result<TaskId, Trap> {
    let task = {
        let mut st = lock(state)?;
        st.sched.tasks.push(Some(TaskObj {
            func: f.clone(),
            on_start: Some(on_start),
            on_resolve: Some(on_resolve),
            state: TaskState::Initial,
            num_borrows: 0,
            implicit_thread: None,
            threads: Vec::new(),
            in_callbacks: false,
        }));
        st.sched.tasks.len() - 1
    };
    let func = f.clone();
    let src = caller.map_or(StringEncoding::Utf8, |c| c.encoding);
    let adapter = caller.is_some();
    let thread = new_thread(
        state,
        task,
        Box::new(move |store, state| lift_thread(store, state, &func, task, src, adapter)),
    )?;
    resume(store, state, thread, false)?;
    if !f.ty.is_async {
        loop {
            let pick = {
                let mut st = lock(state)?;
                if st.task(task).is_ok_and(|t| t.state != TaskState::Resolved) {
                    let ready = st.stack_candidates(f.inst);
                    Some((!ready.is_empty()).then(|| ready[st.sched.rng.below(ready.len())]))
                } else {
                    None
                }
            };
            match pick {
                Some(Some(t)) => resume(store, state, t, false)?,
                // Nothing on the stack can run: host work may unblock it.
                Some(None) => {
                    if !wait_for_host(store, state)? {
                        return Err(trap(
                            "deadlock detected: event loop cannot make further progress",
                        ));
                    }
                }
                None => break,
            }
        }
    }
    Ok(task)
}

/// `canon lift`'s `thread_func`: the implicit thread of a task.
fn lift_thread(
    store: &mut Store,
    state: &Shared,
    f: &Arc<Func>,
    task: TaskId,
    src: StringEncoding,
    adapter: bool,
) -> Result<(), Trap> {
    if !enter_implicit_thread(store, state, task)? {
        return Ok(());
    }
    let args = task_start(store, state, task)?;
    let params: Vec<ValType> = f.ty.params.iter().map(|(_, t)| t.clone()).collect();
    let flat_args = {
        let mut cx = Cx::new(store, state, f.inst, &f.opts);
        cx.task = Some(task);
        cx.src_encoding = src;
        abi::lower_flat_values(&mut cx, abi::MAX_FLAT_PARAMS, &args, &params, None)
            .map_err(|t| abi_trap(t, adapter))?
    };
    let flat_results = store.invoke(f.core, &flat_args).map_err(Trap::from)?;
    if !f.opts.is_async {
        let result = {
            let mut cx = Cx::new(store, state, f.inst, &f.opts);
            cx.task = Some(task);
            abi::lift_flat_values(
                &mut cx,
                abi::MAX_FLAT_RESULTS,
                &mut CoreValueIter::new(&flat_results),
                f.ty.result.as_slice(),
            )
            .map_err(|t| abi_trap(t, adapter))?
        };
        task_return(store, state, task, result.into_iter().next())?;
        if let Some(pr) = f.opts.post_return {
            set_may_leave(state, f.inst, false)?;
            store.invoke(pr, &flat_results).map_err(Trap::from)?;
            set_may_leave(state, f.inst, true)?;
        }
        return exit_implicit_thread(state, task);
    }
    let Some(callback) = f.opts.callback else {
        return exit_implicit_thread(state, task);
    };
    let mut packed = match flat_results.as_slice() {
        [Val::I32(p)] => *p,
        _ => return Err(trap("internal: callback result is not an i32")),
    };
    loop {
        // unpack_callback_result
        let (code, si) = (packed & 0xf, packed >> 4);
        if code > 2 {
            return Err(trap(format!("unsupported callback code: {code}")));
        }
        if code == 0 {
            break;
        }
        lock(state)?.inst(f.inst).exclusive_thread = None;
        let event = if code == 1 {
            // YIELD
            if wait_until(store, state, Ready::NotExclusive(f.inst), true)? {
                (EVENT_TASK_CANCELLED, 0, 0)
            } else {
                (EVENT_NONE, 0, 0)
            }
        } else {
            // WAIT
            {
                let mut st = lock(state)?;
                if !matches!(
                    st.inst(f.inst).handles.element(si)?,
                    Element::WaitableSet(_)
                ) {
                    return Err(trap(format!("handle index {si} is not a waitable set")));
                }
            }
            wait_for_event(store, state, f.inst, si, true, true)?
        };
        {
            let mut st = lock(state)?;
            let t = st.current()?;
            st.inst(f.inst).exclusive_thread = Some(t);
            st.task_mut(task)?.in_callbacks = true;
        }
        let r = store
            .invoke(
                callback,
                &[Val::I32(event.0), Val::I32(event.1), Val::I32(event.2)],
            )
            .map_err(Trap::from)?;
        packed = match r.as_slice() {
            [Val::I32(p)] => *p,
            _ => return Err(trap("internal: callback result is not an i32")),
        };
    }
    exit_implicit_thread(state, task)
}

/// `WaitableSet.wait_for_event_and`: the next event of set `si` of `inst`.
fn wait_for_event(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    si: u32,
    exclusive: bool,
    cancellable: bool,
) -> Result<Event, Trap> {
    set_waiting(state, inst, si, 1)?;
    let ready = Ready::SetEvent {
        inst,
        set: si,
        exclusive,
    };
    let cancelled = wait_until(store, state, ready, cancellable);
    let event = match cancelled {
        Ok(true) => Ok((EVENT_TASK_CANCELLED, 0, 0)),
        Ok(false) => lock(state).and_then(|mut st| st.set_get_pending(inst, si)),
        Err(e) => Err(e),
    };
    set_waiting(state, inst, si, -1)?;
    event
}

/// Adjusts a waitable set's `num_waiting`.
fn set_waiting(state: &Shared, inst: u32, si: u32, d: i32) -> Result<(), Trap> {
    let mut st = lock(state)?;
    if let Element::WaitableSet(s) = st.inst(inst).handles.element_mut(si)? {
        s.num_waiting = s.num_waiting.saturating_add_signed(d);
    }
    Ok(())
}

/// `Waitable.wait_for_pending_event` (a synchronous wait on one waitable).
fn wait_for_pending_event(store: &mut Store, state: &Shared, w: WaitableId) -> Result<(), Trap> {
    lock(state)?.waitable_mut(w)?.has_sync_waiter = true;
    let r = sync_wait(store, state, Ready::PendingEvent(w));
    lock(state)?.waitable_mut(w)?.has_sync_waiter = false;
    r.map(|_| ())
}

/// `canon lower`: calls `callee` from core code of `inst`.
pub(super) fn canon_lower(
    store: &mut Store,
    state: &Shared,
    callee: &Callee,
    opts: &Options,
    inst: u32,
    flat_args: &[Val],
) -> Result<Vec<Val>, Trap> {
    {
        let st = lock(state)?;
        st.check_leave(inst)?;
        // A synchronous call of an `async`-typed component function may
        // block (the host's complete before they return).
        if !opts.is_async && callee.ty().is_async && matches!(callee, Callee::Lifted(_)) {
            st.check_may_block()?;
        }
    }
    let ft = callee.ty().clone();
    let params: Vec<ValType> = ft.params.iter().map(|(_, t)| t.clone()).collect();
    let (max_flat_params, max_flat_results) = if opts.is_async {
        (abi::MAX_FLAT_ASYNC_PARAMS, 0)
    } else {
        (abi::MAX_FLAT_PARAMS, abi::MAX_FLAT_RESULTS)
    };
    let w = lock(state)?.new_waitable(
        inst,
        WaitableKind::Subtask(Subtask {
            state: STARTING,
            on_cancel: None,
            lenders: Some(Vec::new()),
            cancellation_requested: false,
            flat_results: Vec::new(),
            notify: false,
        }),
    );
    // One iterator: the parameters, then the return pointer (`out_param`).
    let flat_args = Arc::new(Mutex::new(CoreValueIter::owned(flat_args.to_vec())));
    let caller = Caller {
        inst,
        encoding: opts.abi.string_encoding,
    };
    let on_start: OnStart = {
        let (opts, flat_args) = (opts.clone(), flat_args.clone());
        Box::new(move |store: &mut Store, state: &Shared| {
            on_progress(state, w)?;
            lock(state)?.subtask_mut(w)?.state = STARTED;
            let mut cx = Cx::new(store, state, inst, &opts);
            let mut it = flat_args.lock().unwrap_or_else(|e| e.into_inner());
            let vs = abi::lift_flat_values(&mut cx, max_flat_params, &mut *it, &params)
                .map_err(|t| abi_trap(t, true))?;
            let lenders = std::mem::take(&mut cx.lenders);
            if let Some(l) = lock(state)?.subtask_mut(w)?.lenders.as_mut() {
                l.extend(lenders);
            }
            Ok(vs)
        })
    };
    let on_resolve: OnResolve = {
        let (opts, ft) = (opts.clone(), ft.clone());
        let encoding = callee.encoding();
        Box::new(move |store: &mut Store, state: &Shared, result| {
            on_progress(state, w)?;
            let Some(result) = result else {
                let mut st = lock(state)?;
                let s = st.subtask_mut(w)?;
                s.state = if s.state == STARTING {
                    CANCELLED_BEFORE_STARTED
                } else {
                    CANCELLED_BEFORE_RETURNED
                };
                return Ok(());
            };
            let mut cx = Cx::new(store, state, inst, &opts);
            cx.src_encoding = encoding;
            let vs: Vec<Value> = result.into_iter().collect();
            let mut it = flat_args.lock().unwrap_or_else(|e| e.into_inner());
            let flat = abi::lower_flat_values(
                &mut cx,
                max_flat_results,
                &vs,
                ft.result.as_slice(),
                Some(&mut *it as &mut dyn FlatIter),
            )
            .map_err(|t| abi_trap(t, true))?;
            drop(it);
            let mut st = lock(state)?;
            let s = st.subtask_mut(w)?;
            s.state = RETURNED;
            s.flat_results = flat;
            Ok(())
        })
    };
    let on_cancel = call_callee(store, state, callee, Some(caller), on_start, on_resolve)?;
    let mut st = lock(state)?;
    st.subtask_mut(w)?.on_cancel = on_cancel;
    if !opts.is_async {
        if !st.subtask_mut(w)?.resolved() {
            drop(st);
            sync_wait(store, state, Ready::SubtaskResolved(w))?;
            st = lock(state)?;
        }
        let s = st.subtask_mut(w)?;
        let lenders = s.lenders.take().unwrap_or_default();
        let results = std::mem::take(&mut s.flat_results);
        st.return_lends(inst, &lenders);
        st.sched.waitables[w] = None;
        return Ok(results);
    }
    let s = st.subtask_mut(w)?;
    if s.resolved() {
        let lenders = s.lenders.take().unwrap_or_default();
        st.return_lends(inst, &lenders);
        st.sched.waitables[w] = None;
        return Ok(vec![Val::I32(RETURNED)]);
    }
    let i = st.add_waitable(w)?;
    let s = st.subtask_mut(w)?;
    s.notify = true;
    Ok(vec![Val::I32(s.state | (i << 4))])
}

/// Sets the running thread's `storage` to `to` and gives back what it was
/// (no thread runs: nothing to set).
pub(super) fn swap_storage(state: &Mutex<State>, to: [u64; 2]) -> Result<[u64; 2], Trap> {
    let mut st = lock(state)?;
    match st.sched.current {
        Some(t) => Ok(std::mem::replace(&mut st.thread_mut(t)?.storage, to)),
        None => Ok(to),
    }
}

/// `on_progress`: a subtask in the table gets a pending event.
fn on_progress(state: &Shared, w: WaitableId) -> Result<(), Trap> {
    let mut st = lock(state)?;
    if st.subtask_mut(w)?.notify {
        st.set_pending(w, Pending::Subtask)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Built-ins

/// A built-in with its immediates resolved where running it needs them.
pub(super) enum Resolved {
    TaskReturn(Option<ValType>, Options),
    /// `waitable-set.wait` (true) or `.poll` (false), cancellable?, memory.
    Wait(bool, bool, MemAddr),
    /// `stream.new` / `future.new` of this payload type.
    New(EndKind, Option<ValType>),
    /// `{stream,future}.{read,write}` of this payload type.
    Copy(EndKind, Option<ValType>, Options),
    /// `{stream,future}.cancel-{read,write}`, async?
    CancelCopy(EndKind, Option<ValType>, bool),
    /// `{stream,future}.drop-{readable,writable}`
    Drop(EndKind, Option<ValType>),
    /// `error-context.new` / `.debug-message` with their options.
    ErrorContext(bool, Options),
    /// `thread.new-indirect`: the function type and table.
    /// (`None`: a type aliased from an outer scope, checked by shape).
    ThreadNew(Option<core::FuncType>, ExternVal),
    Other(Builtin),
}

/// The asynchronous, error-context and thread built-ins (CanonicalABI.md,
/// "Canonical Built-ins").
pub(super) fn canon_builtin(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    b: &Resolved,
    args: &[Val],
) -> Result<Vec<Val>, Trap> {
    let arg = |i: usize| match args.get(i) {
        Some(Val::I32(x)) => *x,
        Some(Val::I64(x)) => *x as u32,
        _ => 0,
    };
    // Every built-in but context.{get,set} and backpressure.{inc,dec} starts
    // with trap_if(not inst.may_leave).
    let unguarded = matches!(
        b,
        Resolved::Other(
            Builtin::ContextGet(..)
                | Builtin::ContextSet(..)
                | Builtin::BackpressureInc
                | Builtin::BackpressureDec
        )
    );
    if !unguarded {
        lock(state)?.check_leave(inst)?;
    }
    match b {
        Resolved::TaskReturn(t, opts) => task_return_builtin(store, state, inst, t, opts, args),
        Resolved::Wait(wait, cancellable, mem) => {
            let (si, ptr) = (arg(0), arg(1));
            {
                let mut st = lock(state)?;
                if *wait {
                    st.check_may_block()?;
                }
                if !matches!(st.inst(inst).handles.element(si)?, Element::WaitableSet(_)) {
                    return Err(trap(format!("handle index {si} is not a waitable set")));
                }
            }
            let event = if *wait {
                wait_for_event(store, state, inst, si, false, *cancellable)?
            } else {
                // WaitableSet.poll
                let mut st = lock(state)?;
                let task = st.current_task()?;
                if st.deliver_pending_cancel(task, *cancellable)? {
                    (EVENT_TASK_CANCELLED, 0, 0)
                } else if !st.set_has_pending(inst, si) {
                    (EVENT_NONE, 0, 0)
                } else {
                    st.set_get_pending(inst, si)?
                }
            };
            // unpack_event
            if ptr % 4 != 0 {
                return Err(trap("unaligned pointer"));
            }
            let mut bytes = [0; 8];
            bytes[..4].copy_from_slice(&event.1.to_le_bytes());
            bytes[4..].copy_from_slice(&event.2.to_le_bytes());
            store
                .memory_write(*mem, u64::from(ptr), &bytes)
                .map_err(|_| trap("pointer out of bounds of memory"))?;
            Ok(vec![Val::I32(event.0)])
        }
        Resolved::New(kind, t) => {
            let mut st = lock(state)?;
            st.sched.shared.push(SharedObj {
                t: t.clone(),
                future: kind.is_future(),
                dropped: false,
                pending: None,
                host: None,
            });
            let shared = st.sched.shared.len() - 1;
            let (rk, wk) = if kind.is_future() {
                (EndKind::ReadableFuture, EndKind::WritableFuture)
            } else {
                (EndKind::ReadableStream, EndKind::WritableStream)
            };
            let mut ends = [0u32; 2];
            for (k, out) in [rk, wk].into_iter().zip(&mut ends) {
                let w = st.new_waitable(inst, new_end(k, shared));
                *out = st.add_waitable(w)?;
            }
            Ok(vec![Val::I64(
                u64::from(ends[0]) | (u64::from(ends[1]) << 32),
            )])
        }
        Resolved::Copy(kind, t, opts) => {
            let n = if kind.is_future() { 1 } else { arg(2) };
            copy(store, state, inst, *kind, t, opts, arg(0), arg(1), n)
        }
        Resolved::CancelCopy(kind, t, is_async) => {
            cancel_copy(store, state, inst, *kind, t, *is_async, arg(0))
        }
        Resolved::Drop(kind, t) => drop_end(state, inst, *kind, t, arg(0)),
        Resolved::ErrorContext(new, opts) => error_context(store, state, inst, *new, opts, args),
        Resolved::ThreadNew(ft, table) => thread_new(store, state, inst, ft, table, arg(0), arg(1)),
        Resolved::Other(b) => other_builtin(store, state, inst, b, args),
    }
}

fn new_end(kind: EndKind, shared: usize) -> WaitableKind {
    WaitableKind::End(CopyEnd {
        kind,
        state: CopyState::Idle,
        shared,
        buffer: None,
    })
}

/// canon task.return
fn task_return_builtin(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    t: &Option<ValType>,
    opts: &Options,
    args: &[Val],
) -> Result<Vec<Val>, Trap> {
    let task = {
        let st = lock(state)?;
        let task = st
            .current_task()
            .map_err(|_| trap("task.return called outside of a task"))?;
        let func = &st.task(task)?.func;
        if !func.opts.is_async {
            return Err(trap("task.return called from a synchronous task"));
        }
        // LiftOptions.equal; a task.return without a memory (it lifts
        // nothing from memory) matches any, as wasmtime and the tests have it.
        if *t != func.ty.result
            || opts.abi.string_encoding != func.opts.abi.string_encoding
            || (opts.memory.is_some() && opts.memory != func.opts.memory)
        {
            return Err(trap(
                "invalid `task.return` signature and/or options for current task",
            ));
        }
        task
    };
    let result = {
        let mut cx = Cx::new(store, state, inst, opts);
        cx.task = Some(task);
        abi::lift_flat_values(
            &mut cx,
            abi::MAX_FLAT_PARAMS,
            &mut CoreValueIter::new(args),
            t.as_slice(),
        )
        .map_err(|t| abi_trap(t, true))?
    };
    task_return(store, state, task, result.into_iter().next())?;
    Ok(Vec::new())
}

/// The end at handle `i` of `inst`, of kind `kind` and payload `t`.
fn get_end(
    st: &mut State,
    inst: u32,
    kind: EndKind,
    t: &Option<ValType>,
    i: u32,
) -> Result<WaitableId, Trap> {
    let w = match st.inst(inst).handles.element(i)? {
        Element::Waitable(w) => *w,
        _ => return Err(trap(format!("handle index {i} is not a {}", kind.noun()))),
    };
    let e = st
        .end_mut(w)
        .map_err(|_| trap(format!("handle index {i} is not a {}", kind.noun())))?;
    if e.kind != kind {
        return Err(trap(format!(
            "handle index {i} is not the right end of a {}",
            kind.noun()
        )));
    }
    let shared = e.shared;
    if st.sched.shared[shared].t != *t {
        return Err(trap(format!("{} type mismatch", kind.noun())));
    }
    Ok(w)
}

/// `stream_copy` / `future_copy`: canon {stream,future}.{read,write}.
#[allow(clippy::too_many_arguments)]
fn copy(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    kind: EndKind,
    t: &Option<ValType>,
    opts: &Options,
    i: u32,
    ptr: u32,
    n: u32,
) -> Result<Vec<Val>, Trap> {
    let reading = matches!(kind, EndKind::ReadableStream | EndKind::ReadableFuture);
    let (w, shared) = {
        let mut st = lock(state)?;
        if !opts.is_async {
            st.check_may_block()?;
        }
        let w = get_end(&mut st, inst, kind, t, i)?;
        let in_set = st.waitable(w)?.wset.is_some();
        let e = st.end_mut(w)?;
        match e.state {
            CopyState::Idle => {}
            CopyState::Done => {
                return Err(trap(match kind {
                    EndKind::ReadableStream => {
                        "cannot read from stream after being notified that the writable end dropped"
                    }
                    EndKind::WritableStream => {
                        "cannot write to stream after being notified that the readable end dropped"
                    }
                    EndKind::ReadableFuture => {
                        "cannot read from future after previous read succeeded"
                    }
                    EndKind::WritableFuture => {
                        "cannot write to future after previous write succeeded or readable end dropped"
                    }
                }));
            }
            _ => {
                return Err(trap(
                    "cannot have concurrent operations active on a future/stream",
                ));
            }
        }
        if in_set && !opts.is_async {
            return Err(trap(
                "waitable cannot be used synchronously while added to a waitable set",
            ));
        }
        // BufferGuestImpl: the range must be valid for the whole length.
        if n > MAX_BUFFER_LENGTH {
            return Err(trap("buffer length too large"));
        }
        if let Some(t) = t
            && n > 0
        {
            let align = u64::from(abi::alignment(t));
            let end = u64::from(ptr) + u64::from(n) * abi::elem_size(t);
            if u64::from(ptr) % align != 0 {
                return Err(trap("unaligned pointer"));
            }
            let len = opts.memory.map_or(0, |m| store.memory_len(m)) as u64;
            if end > len {
                return Err(trap("pointer out of bounds of memory"));
            }
        }
        let e = st.end_mut(w)?;
        e.buffer = Some(Buffer {
            t: t.clone(),
            opts: opts.clone(),
            inst,
            ptr: u64::from(ptr),
            progress: 0,
            length: n,
        });
        e.state = CopyState::Copying;
        (w, e.shared)
    };
    if kind.is_future() {
        future_rw(store, state, inst, shared, w, reading)?;
    } else {
        stream_rw(store, state, inst, shared, w, reading)?;
    }
    finish_copy(store, state, w, !opts.is_async)
}

/// The end of a copy or cancel: the event's payload, or BLOCKED.
fn finish_copy(
    store: &mut Store,
    state: &Shared,
    w: WaitableId,
    sync: bool,
) -> Result<Vec<Val>, Trap> {
    if lock(state)?.waitable(w)?.pending.is_none() {
        if !sync {
            return Ok(vec![Val::I32(BLOCKED)]);
        }
        wait_for_pending_event(store, state, w)?;
    }
    let (_, _, payload) = lock(state)?.get_pending_event(w)?;
    Ok(vec![Val::I32(payload)])
}

/// `trap_if(inst is self.pending_inst and not none_or_number_type(self.t))`
fn check_intra(st: &State, shared: usize, inst: u32, pending_inst: u32) -> Result<(), Trap> {
    let s = &st.sched.shared[shared];
    let numeric = s.t.as_ref().is_none_or(|t| {
        matches!(
            t,
            ValType::U8
                | ValType::U16
                | ValType::U32
                | ValType::U64
                | ValType::S8
                | ValType::S16
                | ValType::S32
                | ValType::S64
                | ValType::F32
                | ValType::F64
        )
    });
    if inst == pending_inst && !numeric {
        let noun = if s.future { "future" } else { "stream" };
        return Err(trap(format!(
            "cannot read from and write to intra-component {noun}"
        )));
    }
    Ok(())
}

/// `SharedStreamImpl.read` (reading) or `.write`, for the copy `w` started.
fn stream_rw(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    shared: usize,
    w: WaitableId,
    reading: bool,
) -> Result<(), Trap> {
    let mut st = lock(state)?;
    if st.sched.shared[shared].dropped {
        return st.on_copy_done(w, CopyResult::Dropped);
    }
    if st.sched.shared[shared].host.is_some() {
        drop(st);
        return host_rw(store, state, shared, w).map(|_| ());
    }
    let Some((pinst, pend)) = st.sched.shared[shared].pending else {
        st.sched.shared[shared].pending = Some((inst, w));
        return Ok(());
    };
    check_intra(&st, shared, inst, pinst)?;
    if st.remain(pend) > 0 {
        if st.remain(w) > 0 {
            let n = st.remain(w).min(st.remain(pend));
            let (src, dst) = if reading { (pend, w) } else { (w, pend) };
            drop(st);
            transfer(store, state, src, dst, n)?;
            st = lock(state)?;
            // pending_on_copy(reset_pending)
            st.set_pending(
                pend,
                Pending::Stream {
                    result: CopyResult::Completed,
                    reclaim: true,
                },
            )?;
        }
        st.on_copy_done(w, CopyResult::Completed)
    } else if !reading && st.is_zero_length(w) && st.is_zero_length(pend) {
        st.on_copy_done(w, CopyResult::Completed)
    } else {
        st.reset_and_notify_pending(shared, CopyResult::Completed)?;
        st.sched.shared[shared].pending = Some((inst, w));
        Ok(())
    }
}

/// `SharedFutureImpl.read` (reading) or `.write`, for the copy `w` started.
fn future_rw(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    shared: usize,
    w: WaitableId,
    reading: bool,
) -> Result<(), Trap> {
    let mut st = lock(state)?;
    if !reading && st.sched.shared[shared].dropped {
        return st.on_copy_done(w, CopyResult::Dropped);
    }
    if st.sched.shared[shared].host.is_some() {
        drop(st);
        return host_rw(store, state, shared, w).map(|_| ());
    }
    let Some((pinst, pend)) = st.sched.shared[shared].pending else {
        st.sched.shared[shared].pending = Some((inst, w));
        return Ok(());
    };
    check_intra(&st, shared, inst, pinst)?;
    let (src, dst) = if reading { (pend, w) } else { (w, pend) };
    drop(st);
    transfer(store, state, src, dst, 1)?;
    let mut st = lock(state)?;
    st.reset_and_notify_pending(shared, CopyResult::Completed)?;
    st.on_copy_done(w, CopyResult::Completed)
}

/// `dst_buffer.write(src_buffer.read(n))`: moves `n` values between the
/// buffers of two copies (lifting from one instance, lowering into the other).
fn transfer(
    store: &mut Store,
    state: &Shared,
    src: WaitableId,
    dst: WaitableId,
    n: u32,
) -> Result<(), Trap> {
    let (sb, db) = {
        let st = lock(state)?;
        match (st.buffer(src), st.buffer(dst)) {
            (Some(s), Some(d)) => (s.clone(), d.clone()),
            _ => return Err(trap("internal: copy without a buffer")),
        }
    };
    if let Some(t) = &sb.t {
        let size = abi::elem_size(t);
        let mut values = Vec::with_capacity(n as usize);
        {
            let mut cx = Cx::new(store, state, sb.inst, &sb.opts);
            for k in 0..u64::from(n) {
                values
                    .push(abi::load(&mut cx, sb.ptr + k * size, t).map_err(|e| abi_trap(e, true))?);
            }
        }
        let mut cx = Cx::new(store, state, db.inst, &db.opts);
        cx.src_encoding = sb.opts.abi.string_encoding;
        for (k, v) in values.iter().enumerate() {
            abi::store(&mut cx, v, t, db.ptr + k as u64 * size).map_err(|e| abi_trap(e, true))?;
        }
    }
    let mut st = lock(state)?;
    for w in [src, dst] {
        if let Ok(e) = st.end_mut(w)
            && let Some(b) = e.buffer.as_mut()
        {
            b.ptr += u64::from(n) * b.t.as_ref().map_or(0, abi::elem_size);
            b.progress += n;
        }
    }
    Ok(())
}

/// `cancel_copy`: canon {stream,future}.cancel-{read,write}.
#[allow(clippy::too_many_arguments)]
fn cancel_copy(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    kind: EndKind,
    t: &Option<ValType>,
    is_async: bool,
    i: u32,
) -> Result<Vec<Val>, Trap> {
    let w = {
        let mut st = lock(state)?;
        if !is_async {
            st.check_may_block()?;
        }
        let w = get_end(&mut st, inst, kind, t, i)?;
        let wt = st.waitable(w)?;
        let (in_set, sync_waiter) = (wt.wset.is_some(), wt.has_sync_waiter);
        let e = st.end_mut(w)?;
        if e.state != CopyState::Copying || sync_waiter {
            return Err(trap(format!(
                "{} has no copy in progress to cancel",
                kind.noun()
            )));
        }
        if in_set && !is_async {
            return Err(trap(
                "waitable cannot be used synchronously while added to a waitable set",
            ));
        }
        e.state = CopyState::CancellingCopy;
        let shared = e.shared;
        // SharedBase.cancel, also (as wasmtime and big-interleaving-test.wast
        // have it) when the copy made progress but its buffer is still the
        // stream's pending one: the cancel reports CANCELLED with progress.
        let partial = matches!(
            st.waitable(w)?.pending,
            Some(Pending::Stream {
                result: CopyResult::Completed,
                reclaim: true
            })
        );
        if st.waitable(w)?.pending.is_none() || partial {
            st.reset_and_notify_pending(shared, CopyResult::Cancelled)?;
        }
        w
    };
    finish_copy(store, state, w, !is_async)
}

/// `drop`: canon {stream,future}.drop-{readable,writable}.
fn drop_end(
    state: &Shared,
    inst: u32,
    kind: EndKind,
    t: &Option<ValType>,
    i: u32,
) -> Result<Vec<Val>, Trap> {
    let mut st = lock(state)?;
    let w = get_end(&mut st, inst, kind, t, i)?;
    let e = st.end_mut(w)?;
    if matches!(e.state, CopyState::Copying | CopyState::CancellingCopy) {
        // wasmtime's wording: a readable end is removed, a writable dropped.
        let verb = if matches!(kind, EndKind::ReadableStream | EndKind::ReadableFuture) {
            "remove"
        } else {
            "drop"
        };
        return Err(trap(format!("cannot {verb} busy {}", kind.noun())));
    }
    if kind == EndKind::WritableFuture && e.state != CopyState::Done {
        return Err(trap(
            "cannot drop future write end without first writing a value",
        ));
    }
    let shared = e.shared;
    st.inst(inst).handles.remove(i)?;
    st.shared_drop(shared)?;
    st.join(w, None)?;
    st.sched.waitables[w] = None;
    Ok(Vec::new())
}

/// canon error-context.new / error-context.debug-message
fn error_context(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    new: bool,
    opts: &Options,
    args: &[Val],
) -> Result<Vec<Val>, Trap> {
    let arg = |i: usize| match args.get(i) {
        Some(Val::I32(x)) => *x,
        _ => 0,
    };
    if new {
        let msg = {
            let cx = Cx::new(store, state, inst, opts);
            abi::load_string_from_range(&cx, u64::from(arg(0)), arg(1))
                .map_err(|e| abi_trap(e, true))?
        };
        let mut st = lock(state)?;
        st.sched.errors.push(msg);
        let id = st.sched.errors.len() - 1;
        let i = st.inst(inst).handles.add(Element::ErrorContext(id))?;
        return Ok(vec![Val::I32(i)]);
    }
    let msg = {
        let mut st = lock(state)?;
        match *st.inst(inst).handles.element(arg(0))? {
            Element::ErrorContext(id) => st.sched.errors[id].clone(),
            _ => {
                return Err(trap(format!(
                    "handle index {} is not an error context",
                    arg(0)
                )));
            }
        }
    };
    let mut cx = Cx::new(store, state, inst, opts);
    abi::store(
        &mut cx,
        &Value::String(msg),
        &ValType::String,
        u64::from(arg(1)),
    )
    .map_err(|e| abi_trap(e, true))?;
    Ok(Vec::new())
}

/// canon thread.new-indirect
fn thread_new(
    _store: &mut Store,
    state: &Shared,
    inst: u32,
    ft: &Option<core::FuncType>,
    table: &ExternVal,
    fi: u32,
    c: u32,
) -> Result<Vec<Val>, Trap> {
    let ExternVal::Table(table) = table else {
        return Err(trap("internal: thread.new-indirect without a table"));
    };
    let f = match _store.table_get(*table, u64::from(fi)) {
        Some(Val::Ref(Ref::Func(f))) => f,
        Some(_) => return Err(trap(format!("uninitialized element {fi}"))),
        None => return Err(trap("undefined element")),
    };
    let have = _store.func_type(f);
    let fits = match ft {
        Some(ft) => have == *ft,
        None => {
            have.results.is_empty()
                && matches!(have.params[..], [core::ValType::I32 | core::ValType::I64])
        }
    };
    if !fits {
        return Err(trap("indirect call type mismatch"));
    }
    let task = lock(state)?.current_task()?;
    let arg = if have.params.first() == Some(&core::ValType::I64) {
        Val::I64(u64::from(c))
    } else {
        Val::I32(c)
    };
    let tid = std::sync::Arc::new(Mutex::new(None::<ThreadId>));
    let me = tid.clone();
    let t = new_thread(
        state,
        task,
        Box::new(move |store, state| {
            store.invoke(f, &[arg]).map_err(Trap::from)?;
            let t = me
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_default();
            lock(state)?.unregister_thread(task, t)
        }),
    )?;
    *tid.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
    let _ = inst;
    let i = lock(state)?.register_thread(task, t)?;
    Ok(vec![Val::I32(i)])
}

/// The thread at index `i` of `inst`'s thread table.
fn thread_at(st: &mut State, inst: u32, i: u32) -> Result<ThreadId, Trap> {
    st.inst(inst)
        .threads
        .element(i)
        .copied()
        .map_err(|_| trap(format!("unknown thread index {i}")))
}

/// The other built-ins: context, backpressure, task.cancel, waitable sets,
/// subtasks, threads.
fn other_builtin(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    b: &Builtin,
    args: &[Val],
) -> Result<Vec<Val>, Trap> {
    let arg = |i: usize| match args.get(i) {
        Some(Val::I32(x)) => u64::from(*x),
        Some(Val::I64(x)) => *x,
        _ => 0,
    };
    let cancelled = |c: bool| Ok(vec![Val::I32(u32::from(c))]);
    let mut st = lock(state)?;
    match b {
        // canon context.get / context.set: the current thread's storage.
        Builtin::ContextGet(t, i) | Builtin::ContextSet(t, i) => {
            let cur = st.current()?;
            let th = st.thread_mut(cur)?;
            let Some(slot) = th.storage.get_mut(*i as usize) else {
                return Err(trap(format!("context index {i} out of bounds")));
            };
            if let Builtin::ContextGet(..) = b {
                return Ok(vec![if *t == core::ValType::I64 {
                    Val::I64(*slot)
                } else {
                    Val::I32(*slot as u32)
                }]);
            }
            *slot = arg(0);
            Ok(Vec::new())
        }
        // canon backpressure.inc / dec
        Builtin::BackpressureInc | Builtin::BackpressureDec => {
            let i = st.inst(inst);
            i.backpressure = match b {
                Builtin::BackpressureInc if i.backpressure < 0xffff => i.backpressure + 1,
                Builtin::BackpressureDec if i.backpressure > 0 => i.backpressure - 1,
                _ => return Err(trap("backpressure counter overflow or underflow")),
            };
            Ok(Vec::new())
        }
        // canon task.cancel
        Builtin::TaskCancel => {
            let task = st.current_task()?;
            if !st.task(task)?.func.opts.is_async {
                return Err(trap("task.cancel called from a synchronous task"));
            }
            drop(st);
            task_cancel(store, state, task)?;
            Ok(Vec::new())
        }
        // canon waitable-set.new
        Builtin::WaitableSetNew => {
            let i = st
                .inst(inst)
                .handles
                .add(Element::WaitableSet(WaitableSet::default()))?;
            Ok(vec![Val::I32(i)])
        }
        // canon waitable-set.drop
        Builtin::WaitableSetDrop => {
            let si = arg(0) as u32;
            match st.inst(inst).handles.element(si)? {
                Element::WaitableSet(s) => {
                    if s.num_waiting > 0 {
                        return Err(trap("cannot drop waitable set with waiters"));
                    }
                    if !s.elems.is_empty() {
                        return Err(trap("cannot drop waitable set with waitables in it"));
                    }
                }
                _ => return Err(trap(format!("handle index {si} is not a waitable set"))),
            }
            st.inst(inst).handles.remove(si)?;
            Ok(Vec::new())
        }
        // canon waitable.join
        Builtin::WaitableJoin => {
            let (wi, si) = (arg(0) as u32, arg(1) as u32);
            let w = match st.inst(inst).handles.element(wi)? {
                Element::Waitable(w) => *w,
                _ => return Err(trap(format!("handle index {wi} is not a waitable"))),
            };
            if st.waitable(w)?.has_sync_waiter {
                return Err(trap(
                    "waitable cannot be used synchronously while added to a waitable set",
                ));
            }
            if si == 0 {
                st.join(w, None)?;
            } else {
                if !matches!(st.inst(inst).handles.element(si)?, Element::WaitableSet(_)) {
                    return Err(trap(format!("handle index {si} is not a waitable set")));
                }
                st.join(w, Some(si))?;
            }
            Ok(Vec::new())
        }
        // canon subtask.cancel
        Builtin::SubtaskCancel(is_async) => {
            if !is_async {
                st.check_may_block()?;
            }
            let i = arg(0) as u32;
            let w = match st.inst(inst).handles.element(i)? {
                Element::Waitable(w) => *w,
                _ => return Err(trap(format!("handle index {i} is not a subtask"))),
            };
            let in_set = st.waitable(w)?.wset.is_some();
            let s = st
                .subtask_mut(w)
                .map_err(|_| trap(format!("handle index {i} is not a subtask")))?;
            if s.lenders.is_none() {
                return Err(trap("subtask has already resolved"));
            }
            if s.cancellation_requested {
                return Err(trap("subtask cancellation already requested"));
            }
            if in_set && !is_async {
                return Err(trap(
                    "waitable cannot be used synchronously while added to a waitable set",
                ));
            }
            if !s.resolved() {
                s.cancellation_requested = true;
                let on_cancel = s.on_cancel;
                drop(st);
                if let Some(task) = on_cancel {
                    request_cancellation(store, state, task, Some(inst))?;
                }
                st = lock(state)?;
                if !st.subtask_mut(w)?.resolved() {
                    if *is_async {
                        return Ok(vec![Val::I32(BLOCKED)]);
                    }
                    drop(st);
                    wait_for_pending_event(store, state, w)?;
                    st = lock(state)?;
                }
            }
            if st.waitable(w)?.pending.is_none() {
                st.set_pending(w, Pending::Subtask)?;
            }
            st.get_pending_event(w)?;
            Ok(vec![Val::I32(st.subtask_mut(w)?.state)])
        }
        // canon subtask.drop
        Builtin::SubtaskDrop => {
            let i = arg(0) as u32;
            let w = match st.inst(inst).handles.element(i)? {
                Element::Waitable(w) => *w,
                _ => return Err(trap(format!("handle index {i} is not a subtask"))),
            };
            let s = st
                .subtask_mut(w)
                .map_err(|_| trap(format!("handle index {i} is not a subtask")))?;
            if s.lenders.is_some() {
                return Err(trap("cannot drop a subtask which has not yet resolved"));
            }
            st.inst(inst).handles.remove(i)?;
            st.join(w, None)?;
            st.sched.waitables[w] = None;
            Ok(Vec::new())
        }
        // canon error-context.drop
        Builtin::ErrorContextDrop => {
            let i = arg(0) as u32;
            if !matches!(st.inst(inst).handles.element(i)?, Element::ErrorContext(_)) {
                return Err(trap(format!("handle index {i} is not an error context")));
            }
            st.inst(inst).handles.remove(i)?;
            Ok(Vec::new())
        }
        // canon thread.index
        Builtin::ThreadIndex => {
            let t = st.current()?;
            let i = st.thread(t)?.index.unwrap_or(0);
            Ok(vec![Val::I32(i)])
        }
        // canon thread.resume-later
        Builtin::ThreadResumeLater => {
            let t = thread_at(&mut st, inst, arg(0) as u32)?;
            let th = st.thread(t)?;
            if th.running || th.ready.is_some() {
                return Err(trap("thread is not suspended"));
            }
            st.start_waiting(t, Ready::Always)?;
            Ok(Vec::new())
        }
        // canon thread.suspend
        Builtin::ThreadSuspend(c) => {
            st.check_may_block()?;
            drop(st);
            cancelled(suspend(store, state, *c)?)
        }
        // canon thread.yield
        Builtin::ThreadYield(c) => {
            drop(st);
            cancelled(wait_until(store, state, Ready::Always, *c)?)
        }
        Builtin::ThreadSuspendThenResume(c) | Builtin::ThreadYieldThenResume(c) => {
            let t = thread_at(&mut st, inst, arg(0) as u32)?;
            let th = st.thread(t)?;
            if th.running || th.ready.is_some() {
                return Err(trap("thread is not suspended"));
            }
            drop(st);
            let y = matches!(b, Builtin::ThreadYieldThenResume(_));
            cancelled(switch_to(store, state, *c, t, y)?)
        }
        Builtin::ThreadSuspendThenPromote(c) | Builtin::ThreadYieldThenPromote(c) => {
            let t = thread_at(&mut st, inst, arg(0) as u32)?;
            let y = matches!(b, Builtin::ThreadYieldThenPromote(_));
            let task = st.current_task()?;
            if st.deliver_pending_cancel(task, *c)? {
                return cancelled(true);
            }
            if st.thread_ready(t) {
                st.stop_waiting(t)?;
                drop(st);
                return cancelled(switch_to(store, state, *c, t, y)?);
            }
            drop(st);
            if y {
                cancelled(wait_until(store, state, Ready::Always, *c)?)
            } else {
                cancelled(suspend(store, state, *c)?)
            }
        }
        Builtin::ThreadAvailableParallelism(_) => Ok(vec![Val::I32(1)]),
        b => Err(trap(format!(
            "canonical built-in {b:?} is not supported yet by reference-vm"
        ))),
    }
}

// ---------------------------------------------------------------------------
// Lifting and lowering streams, futures and error contexts

/// `lift_async_value` / `lift_error_context` (Context::lift_handle).
pub(super) fn lift_handle(st: &mut State, inst: u32, t: &ValType, i: u32) -> Result<Value, Trap> {
    let (kind, payload) = match t {
        ValType::ErrorContext => {
            return match st.inst(inst).handles.element(i)? {
                Element::ErrorContext(id) => Ok(Value::Handle(*id as u32)),
                _ => Err(trap(format!("handle index {i} is not an error context"))),
            };
        }
        ValType::Stream(p) => (EndKind::ReadableStream, p.as_deref().cloned()),
        ValType::Future(p) => (EndKind::ReadableFuture, p.as_deref().cloned()),
        _ => return Err(trap("internal: not a handle type")),
    };
    let w = get_end(st, inst, kind, &payload, i)?;
    let noun = kind.noun();
    let in_set = st.waitable(w)?.wset.is_some();
    let e = st.end_mut(w)?;
    match e.state {
        CopyState::Idle => {}
        CopyState::Done => {
            return Err(trap(if kind.is_future() {
                "cannot lift future after previous read succeeded"
            } else {
                "cannot lift stream after being notified that the writable end dropped"
            }));
        }
        _ => return Err(trap(format!("cannot remove busy {noun}"))),
    }
    if in_set {
        return Err(trap(format!(
            "cannot lift {noun} while it's in a waitable set"
        )));
    }
    let shared = e.shared;
    st.inst(inst).handles.remove(i)?;
    st.sched.waitables[w] = None;
    Ok(Value::Handle(shared as u32))
}

/// `lower_stream` / `lower_future` / `lower_error_context`.
pub(super) fn lower_handle(st: &mut State, inst: u32, t: &ValType, v: &Value) -> Result<u32, Trap> {
    let Value::Handle(h) = v else {
        return Err(trap("internal: not a handle value"));
    };
    let kind = match t {
        ValType::ErrorContext => {
            return st
                .inst(inst)
                .handles
                .add(Element::ErrorContext(*h as usize));
        }
        ValType::Stream(_) => EndKind::ReadableStream,
        ValType::Future(_) => EndKind::ReadableFuture,
        _ => return Err(trap("internal: not a handle type")),
    };
    if *h as usize >= st.sched.shared.len() {
        return Err(trap("internal: unknown stream or future"));
    }
    let w = st.new_waitable(inst, new_end(kind, *h as usize));
    st.add_waitable(w)
}
