// SPDX-License-Identifier: GPL-2.0

//! Owners: the per-open-file side of the lock core.
//!
//! An [`Owner`] stands for one open file of a lockspace device. It keeps the ids of the
//! locks it owns (so that it can release or orphan them when the file is closed) and a FIFO
//! queue of [`Callback`]s that the device's `read()` drains and its `poll()` watches. The
//! device attaches opaque [`Cookies`] to each operation; a callback carries the cookies the
//! lock had when the callback was decided.

use core::mem;
use kernel::{
    new_mutex,
    new_poll_condvar,
    pr_warn_once,
    prelude::*,
    sync::{
        poll::PollCondVar,
        Arc,
        Mutex, //
    }, //
};

use super::{
    locks::{
        Location,
        OwnerNumber, //
    },
    lockspace::Lockspace,
    mode::{
        Mode,
        Status,
        LVB_LEN, //
    },
};

/// Opaque values the device layer attaches to a lock: the user's pointers, as numbers.
///
/// The core only stores them and returns them in callbacks, with the replacement rules of
/// `fs/dlm`: a lock, convert or adopt replaces all five (even when the convert then fails);
/// an unlock or cancel replaces `cast_param` only if the new one is non-zero and always
/// replaces `lksb`; the deadlock command replaces none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cookies {
    /// Argument of the completion routine (`castparam`).
    pub(crate) cast_param: u64,
    /// Completion routine (`castaddr`).
    pub(crate) cast_addr: u64,
    /// Argument of the blocking routine (`bastparam`).
    pub(crate) bast_param: u64,
    /// Blocking routine (`bastaddr`); zero means blocking callbacks are not delivered.
    pub(crate) bast_addr: u64,
    /// The user's `struct dlm_lksb` (`lksb`).
    pub(crate) lksb: u64,
}

impl Cookies {
    /// All zero.
    pub(crate) const ZERO: Cookies = Cookies {
        cast_param: 0,
        cast_addr: 0,
        bast_param: 0,
        bast_addr: 0,
        lksb: 0,
    };
}

/// What a callback reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A completion ("CAST"): an operation on the lock finished.
    Completion {
        /// The outcome (`sb_status`).
        status: Status,
        /// `DLM_SBF_*` bits (`sb_flags`).
        sb_flags: u8,
        /// The lock's value block, when the LVB-append rule says the result carries it.
        lvb: Option<[u8; LVB_LEN]>,
    },
    /// A blocking callback ("BAST"): another lock wants a mode this one blocks.
    Blocking {
        /// The mode wanted (`bast_mode`).
        mode: Mode,
    },
}

/// One callback, with everything a `struct dlm_lock_result` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Callback {
    /// The lock id (`sb_lkid`).
    pub(crate) lkid: u32,
    /// Completion or blocking callback.
    pub(crate) event: Event,
    /// The lock's cookies when the callback was decided.
    pub(crate) cookies: Cookies,
}

impl Callback {
    /// Returns the routine address to report (`user_astaddr`).
    pub(crate) fn user_addr(&self) -> u64 {
        match self.event {
            Event::Completion { .. } => self.cookies.cast_addr,
            Event::Blocking { .. } => self.cookies.bast_addr,
        }
    }

    /// Returns the routine argument to report (`user_astparam`).
    pub(crate) fn user_param(&self) -> u64 {
        match self.event {
            Event::Completion { .. } => self.cookies.cast_param,
            Event::Blocking { .. } => self.cookies.bast_param,
        }
    }

    /// Returns `sb_status`: the completion's status, 0 for a blocking callback.
    pub(crate) fn status(&self) -> i32 {
        match self.event {
            Event::Completion { status, .. } => status.as_errno(),
            Event::Blocking { .. } => 0,
        }
    }

    /// Returns `sb_flags`: the completion's bits, 0 for a blocking callback.
    pub(crate) fn sb_flags(&self) -> u8 {
        match self.event {
            Event::Completion { sb_flags, .. } => sb_flags,
            Event::Blocking { .. } => 0,
        }
    }

    /// Returns `bast_mode`: the blocking mode, 0 for a completion.
    pub(crate) fn bast_mode(&self) -> u8 {
        match self.event {
            Event::Completion { .. } => 0,
            Event::Blocking { mode } => mode.as_raw(),
        }
    }

    /// Returns the value block to append to the result, if any.
    pub(crate) fn lvb(&self) -> Option<&[u8; LVB_LEN]> {
        match &self.event {
            Event::Completion { lvb, .. } => lvb.as_ref(),
            Event::Blocking { .. } => None,
        }
    }
}

/// The callback queue of an owner, protected by [`Owner::events`].
///
/// # Invariants
///
/// The queue, oldest first, is `outbox` read from the back, then `inbox` from the front.
pub(crate) struct OwnerEventsInner {
    /// Newest callbacks, oldest first.
    inbox: KVVec<Callback>,
    /// Oldest callbacks, in reverse order: the next one to read is last.
    outbox: KVVec<Callback>,
    /// The file is being closed: nothing is queued or read any more.
    closed: bool,
}

impl OwnerEventsInner {
    /// Returns the number of queued callbacks.
    fn len(&self) -> usize {
        self.inbox.len() + self.outbox.len()
    }

    /// Takes the oldest callback.
    fn pop(&mut self) -> Option<Callback> {
        if self.outbox.is_empty() {
            // INVARIANT: The reversed inbox holds the oldest callbacks, next one last.
            mem::swap(&mut self.inbox, &mut self.outbox);
            self.outbox.reverse();
        }
        self.outbox.pop()
    }

    /// Drops every queued callback.
    fn clear(&mut self) {
        self.inbox.clear();
        self.outbox.clear();
    }
}

/// One open file of a lockspace device: its locks and its callback queue.
///
/// The owner's locks are listed in its lockspace's lock table under its `number`.
#[pin_data(PinnedDrop)]
pub(crate) struct Owner {
    /// The lockspace.
    ls: Arc<Lockspace>,
    /// The owner's number in the lockspace's lock table.
    pub(crate) number: OwnerNumber,
    /// The callbacks not yet read.
    #[pin]
    events: Mutex<OwnerEventsInner>,
    /// Signalled when a callback is queued; `poll()` registers on it.
    #[pin]
    ready: PollCondVar,
}

impl Owner {
    /// Creates the owner of a newly opened file of `ls`'s device.
    ///
    /// The device must call [`Owner::close`] when the file is released: until then the
    /// owner and its locks keep each other alive.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the owner cannot be allocated.
    pub(crate) fn new(ls: &Arc<Lockspace>) -> Result<Arc<Owner>> {
        let number = ls.locks.lock().add_owner()?;
        Arc::pin_init(
            pin_init!(Owner {
                ls: ls.clone(),
                number,
                events <- new_mutex!(
                    OwnerEventsInner {
                        inbox: KVVec::new(),
                        outbox: KVVec::new(),
                        closed: false,
                    },
                    "Owner::events"
                ),
                ready <- new_poll_condvar!("Owner::ready"),
            }),
            GFP_KERNEL,
        )
        .inspect_err(|_| ls.locks.lock().remove_owner(number))
    }

    /// Returns the owner's lockspace.
    pub(crate) fn lockspace(&self) -> &Arc<Lockspace> {
        &self.ls
    }

    /// Returns whether a callback is waiting to be read (for `poll()`).
    pub(crate) fn has_callbacks(&self) -> bool {
        self.events.lock().len() != 0
    }

    /// Returns the condition variable `poll()` must register on.
    pub(crate) fn poll_condvar(&self) -> &PollCondVar {
        &self.ready
    }

    /// Takes the oldest callback, waiting for one unless `nonblock`.
    ///
    /// # Errors
    ///
    /// - `EINVAL` if the owner is closed.
    /// - `EAGAIN` if `nonblock` and no callback is queued.
    /// - `ERESTARTSYS` if a signal arrived while waiting.
    pub(crate) fn next_callback(&self, nonblock: bool) -> Result<Callback> {
        let mut events = self.events.lock();
        loop {
            if events.closed {
                return Err(EINVAL);
            }
            if let Some(cb) = events.pop() {
                return Ok(cb);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if self.ready.wait_interruptible(&mut events) {
                return Err(ERESTARTSYS);
            }
        }
    }

    /// Queues `cb` and wakes readers; dropped if the owner is closed.
    pub(crate) fn push_callback(&self, cb: Callback) {
        let mut events = self.events.lock();
        if events.closed {
            return;
        }
        if events.inbox.push(cb, GFP_KERNEL).is_err() {
            pr_warn_once!("a lock callback was lost: out of memory\n");
            return;
        }
        drop(events);
        self.ready.notify_all();
    }

    /// Drops every queued callback and, if `close`, stops queueing and reading for good.
    pub(crate) fn clear_callbacks(&self, close: bool) {
        let mut events = self.events.lock();
        events.clear();
        if close {
            events.closed = true;
        }
        drop(events);
        if close {
            // Wake readers so that they see the owner closed.
            self.ready.notify_all();
        }
    }

    /// Returns the number of locks this owner holds (orphans adopted included).
    pub(crate) fn lock_count(&self) -> usize {
        self.ls.locks.lock().owner_count(self.number)
    }

    /// Returns where lock `lkid` of this owner is, if the owner holds it.
    pub(crate) fn find_lock(&self, lkid: u32) -> Option<Location> {
        self.ls.locks.lock().find(lkid, self.number)
    }

    /// Returns the number of locks the lock table lists for this owner, counted one by one.
    pub(crate) fn recorded_locks(&self) -> usize {
        self.ls.locks.lock().listed(self.number)
    }

    /// Takes all of the owner's locks and calls `f` on each, in the order the owner got
    /// them. The locks stay in use, with no owner in the lock table, until `f` ends or
    /// orphans them.
    pub(crate) fn take_locks(&self, mut f: impl FnMut(u32, &Location)) {
        let taken = self.ls.locks.lock().take_all_of(self.number);
        match taken {
            Ok(taken) => {
                for (lkid, location) in taken.iter() {
                    f(*lkid, location);
                }
            }
            Err(_) => {
                // No memory for the copy: take them one at a time.
                loop {
                    let next = self.ls.locks.lock().take_first_of(self.number);
                    let Some((lkid, location)) = next else {
                        break;
                    };
                    f(lkid, &location);
                }
            }
        }
    }
}

#[pinned_drop]
impl PinnedDrop for Owner {
    fn drop(self: Pin<&mut Self>) {
        self.ls.locks.lock().remove_owner(self.number);
    }
}

/// KUnit tests (suite `rdlm_owner`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_owner)]
mod tests {
    use super::*;
    use crate::manager::{
        lockspace::Orphan,
        mode::{
            lkf::*,
            Status, //
        },
        ops::UnlockArgs,
        resource::{
            LockState,
            ResourceInner, //
        },
        testing::{
            bast,
            cast,
            lvb,
            space,
            Fake, //
        }, //
    };
    use kernel::{
        sync::Completion,
        time::{
            delay::fsleep,
            Delta, //
        },
        workqueue, //
    };

    /// Row 23: one FIFO queue per owner covers all its locks, in the order the callbacks
    /// were decided.
    #[test]
    fn fifo_queue_across_locks() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = a.lock(b"s", Mode::Ex, 0)?;
        let l3 = b.lock(b"r", Mode::Pr, 0)?;
        let l4 = b.lock(b"s", Mode::Pr, 0)?;
        a.unlock(l2)?;
        a.unlock(l1)?;
        assert!(a.received(&[
            cast(l1, Status::Granted),
            cast(l2, Status::Granted),
            bast(l1, Mode::Pr),
            bast(l2, Mode::Pr),
            cast(l2, Status::Unlock),
            cast(l1, Status::Unlock)
        ]));
        assert!(b.received(&[cast(l4, Status::Granted), cast(l3, Status::Granted)]));
        Ok(())
    }

    /// Row 27/28: a non-blocking read of an empty queue is `EAGAIN`; `poll()` readiness is
    /// exactly "a callback is queued" (Appendix B, item 4).
    #[test]
    fn nonblocking_read_and_poll() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        assert!(!a.o.has_callbacks());
        assert_eq!(a.o.next_callback(true).err(), Some(EAGAIN));
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        assert!(a.o.has_callbacks());
        let cb = a.o.next_callback(true)?;
        assert_eq!(cb.lkid, l1);
        assert!(!a.o.has_callbacks());
        assert_eq!(a.o.next_callback(true).err(), Some(EAGAIN));
        Ok(())
    }

    /// Row 27: a blocking read sleeps until a callback arrives from another thread.
    #[test]
    fn blocking_read_is_woken() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
        let (owner, finished) = (a.o.clone(), done.clone());
        let lksb = a.cookies().lksb;
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            fsleep(Delta::from_millis(20));
            let args = UnlockArgs {
                lkid: l1,
                flags: 0,
                cast_param: 0,
                lksb,
                lvb: lvb(0),
            };
            let _ = owner.unlock(&args);
            finished.complete_all();
        })?;
        let cb = b.o.next_callback(false);
        done.wait_for_completion();
        assert_eq!(cb.map(|c| c.lkid), Ok(l2));
        assert!(b.granted(l2, Mode::Ex));
        Ok(())
    }

    /// Several threads lock, convert and unlock over a few shared names at once; in the
    /// end every lock, resource and id is gone.
    #[test]
    fn concurrent_stress() -> Result {
        const WORKERS: u64 = 6;
        // A KASAN and lockdep kernel in an emulated guest runs this a thousand times slower;
        // keep each test case well under the hung-task timeout there.
        const ROUNDS: u32 = if cfg!(CONFIG_KASAN) { 100 } else { 3000 };
        let ls = space()?;
        let errors = Arc::pin_init(new_mutex!(0u32, "test::errors"), GFP_KERNEL)?;
        let mut waits = KVec::new();
        for tag in 1..=WORKERS {
            let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
            let (ls, errors, finished) = (ls.clone(), errors.clone(), done.clone());
            workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
                let mut bad = 0u32;
                if let Ok(f) = Fake::new(&ls, tag) {
                    let mut seed = tag as u32;
                    for _ in 0..ROUNDS {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        let name = [b'n', (seed >> 24) as u8 % 4];
                        let mode = Mode::from_raw((seed >> 16) as u8 % 6).unwrap_or(Mode::Nl);
                        let flags = if seed & 0x100 != 0 { NOQUEUE } else { 0 } | VALBLK;
                        let Ok(lkid) = f.lock(&name, mode, flags) else {
                            bad += 1;
                            continue;
                        };
                        if seed & 0x200 != 0 {
                            // Fails with EBUSY when the request is still waiting, or
                            // ENOENT when it failed: both fine.
                            let _ = f.convert(lkid, Mode::Nl, 0);
                        }
                        if seed & 0x400 != 0 {
                            let _ = f.cancel(lkid);
                        }
                        if let Err(e) = f.unlock(lkid) {
                            if e != ENOENT {
                                bad += 1;
                            }
                        }
                        if seed & 0x800 != 0 {
                            f.take();
                        }
                    }
                } else {
                    bad += 1;
                }
                *errors.lock() += bad;
                finished.complete_all();
            })?;
            waits.push(done, GFP_KERNEL)?;
        }
        for w in waits.iter() {
            w.wait_for_completion();
        }
        let bad = *errors.lock();
        assert_eq!(bad, 0);
        assert_eq!(ls.lock_count(), 0);
        assert_eq!(ls.resource_count(), 0);
        Ok(())
    }

    /// Scale: 100,000 locks, each on its own resource, from one owner; lookups stay flat.
    /// Prints the average cost of each phase (TCG guest: only ratios mean anything). Skipped
    /// on KASAN kernels, where it would run for minutes.
    #[test]
    #[cfg(not(CONFIG_KASAN))]
    fn scale_100k_resources() -> Result {
        use kernel::time::{
            Instant,
            Monotonic, //
        };

        const N: u32 = 100_000;
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let per_op = |t: Instant<Monotonic>| t.elapsed().as_nanos() / i64::from(N);

        let t = Instant::<Monotonic>::now();
        let mut ok = 0;
        for i in 0..N {
            if a.lock(&i.to_be_bytes(), Mode::Nl, 0)? == i + 1 {
                ok += 1;
            }
        }
        let request = per_op(t);
        let t = Instant::<Monotonic>::now();
        for lkid in 1..=N {
            a.convert(lkid, Mode::Ex, 0)?;
        }
        let convert = per_op(t);
        let t = Instant::<Monotonic>::now();
        let mut read = 0;
        while a.o.next_callback(true).is_ok() {
            read += 1;
        }
        let drain = per_op(t);
        assert_eq!(ok, N);
        assert_eq!(read, 2 * N);
        assert_eq!(ls.resource_count(), N as usize);

        let t = Instant::<Monotonic>::now();
        a.o.close();
        let close = per_op(t);
        pr_info!(
            "scale: {} locks: request {} ns, convert {} ns, 2 reads {} ns, close {} ns per lock\n",
            N,
            request,
            convert,
            drain,
            close
        );
        assert_eq!(ls.lock_count(), 0);
        assert_eq!(ls.resource_count(), 0);
        Ok(())
    }

    /// Reports the memory the core uses per lock and per resource (see core.rst).
    #[test]
    fn memory_sizes() {
        pr_info!(
            "LockState {} Resource {} ResourceInner {} Location {} Callback {} \
             Orphan {} Owner {}\n",
            size_of::<LockState>(),
            size_of::<crate::manager::resource::Resource>(),
            size_of::<ResourceInner>(),
            size_of::<Location>(),
            size_of::<Callback>(),
            size_of::<Orphan>(),
            size_of::<Owner>(),
        );
        assert!(size_of::<LockState>() <= 128);
        assert!(size_of::<Callback>() <= 96);
    }
}
