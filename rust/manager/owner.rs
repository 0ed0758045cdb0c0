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
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    sync::{
        poll::PollCondVar,
        Arc,
        Mutex, //
    }, //
};

use super::{
    lockspace::Lockspace,
    mode::{
        Mode,
        Status,
        LVB_LEN, //
    },
    resource::Resource,
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

/// A callback on its way to an owner.
pub(crate) struct Delivery {
    /// The owner to push to.
    pub(crate) owner: Arc<Owner>,
    /// The callback.
    pub(crate) callback: Callback,
}

/// Pushes every callback of `batch` to its owner, in order, leaving `batch` empty.
pub(crate) fn deliver(batch: &mut KVec<Delivery>) {
    for d in batch.drain_all() {
        d.owner.push_callback(d.callback);
    }
}

/// Where one of an owner's locks lives.
#[derive(Clone)]
pub(crate) struct LockRef {
    /// The lock's resource.
    pub(crate) resource: Arc<Resource>,
    /// The lock's slot in the resource.
    pub(crate) slot: u32,
    /// When the owner got the lock: clean-up goes in this order, as `fs/dlm`'s list does.
    seq: u64,
}

/// The locks of an owner, protected by [`Owner::locks`].
pub(crate) struct OwnerLocksInner {
    /// Lock id to location.
    map: RBTree<u32, LockRef>,
    /// Sequence number of the next lock added.
    next_seq: u64,
}

/// The callback queue of an owner, protected by [`Owner::events`].
///
/// # Invariants
///
/// The queue, oldest first, is `outbox` read from the back, then `inbox` from the front.
pub(crate) struct OwnerEventsInner {
    /// Newest callbacks, oldest first.
    inbox: KVec<Callback>,
    /// Oldest callbacks, in reverse order: the next one to read is last.
    outbox: KVec<Callback>,
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
#[pin_data]
pub(crate) struct Owner {
    /// The lockspace.
    ls: Arc<Lockspace>,
    /// The locks this owner holds, by id.
    #[pin]
    locks: Mutex<OwnerLocksInner>,
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
        Arc::pin_init(
            pin_init!(Owner {
                ls: ls.clone(),
                locks <- new_mutex!(
                    OwnerLocksInner {
                        map: RBTree::new(),
                        next_seq: 0,
                    },
                    "Owner::locks"
                ),
                events <- new_mutex!(
                    OwnerEventsInner {
                        inbox: KVec::new(),
                        outbox: KVec::new(),
                        closed: false,
                    },
                    "Owner::events"
                ),
                ready <- new_poll_condvar!("Owner::ready"),
            }),
            GFP_KERNEL,
        )
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
    fn push_callback(&self, cb: Callback) {
        let mut events = self.events.lock();
        if events.closed {
            return;
        }
        if events.inbox.push(cb, GFP_KERNEL).is_err() {
            pr_warn_once!("rdlm: a lock callback was lost: out of memory\n");
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

    /// Returns where lock `lkid` lives, if this owner holds it.
    pub(crate) fn find_lock(&self, lkid: u32) -> Option<LockRef> {
        self.locks.lock().map.get(&lkid).cloned()
    }

    /// Records lock `lkid`, in `slot` of `resource`, as this owner's.
    pub(crate) fn add_lock(
        &self,
        lkid: u32,
        resource: Arc<Resource>,
        slot: u32,
        reservation: RBTreeNodeReservation<u32, LockRef>,
    ) {
        let mut locks = self.locks.lock();
        let seq = locks.next_seq;
        locks.next_seq = seq.wrapping_add(1);
        let node = reservation.into_node(
            lkid,
            LockRef {
                resource,
                slot,
                seq,
            },
        );
        let old = locks.map.insert(node);
        drop(locks);
        drop(old);
    }

    /// Forgets lock `lkid`, which has ended its life.
    pub(crate) fn forget_lock(&self, lkid: u32) {
        let node = self.locks.lock().map.remove_node(&lkid);
        drop(node);
    }

    /// Takes all of the owner's locks and calls `f` on each, in the order the owner got them
    /// (or, if no memory is left for sorting, by lock id).
    pub(crate) fn take_locks(&self, mut f: impl FnMut(u32, &LockRef)) {
        let map = mem::take(&mut self.locks.lock().map);
        let n = map.iter().count();
        match KVec::with_capacity(n, GFP_KERNEL) {
            Ok(mut sorted) => {
                for (lkid, lr) in map.iter() {
                    // Cannot fail: there is room for every entry.
                    let _ = sorted.push_within_capacity((*lkid, lr));
                }
                sorted.sort_unstable_by_key(|(_, lr)| lr.seq);
                for (lkid, lr) in sorted.iter() {
                    f(*lkid, lr);
                }
            }
            Err(_) => {
                for (lkid, lr) in map.iter() {
                    f(*lkid, lr);
                }
            }
        }
    }
}
