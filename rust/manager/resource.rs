// SPDX-License-Identifier: GPL-2.0

//! Resources and the locks held on them.
//!
//! A [`Resource`] owns the state of all its locks in a slab (`KVVec<LockState>`); a lock is
//! named inside the resource by its slot number, and the grant, convert and wait queues are
//! doubly linked lists threaded through the slots. Slots never move, so a slot number stays
//! valid for the life of the lock, and queue insertions and removals anywhere are O(1).
//!
//! Callbacks are pushed to their owners' queues as they are decided, under
//! `Resource::inner`: callbacks of one resource therefore reach the owners in the order
//! they were decided, even when several threads work on the resource.

use core::{
    mem,
    sync::atomic::{
        AtomicU8,
        Ordering, //
    }, //
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::{
        ClockSource,
        Monotonic, //
    }, //
};

use super::{
    check::Report,
    mode::{
        compatible,
        Mode,
        LVB_LEN,
        NAME_MAX, //
    },
    owner::{
        Cookies,
        Owner, //
    }, //
};

/// How long an empty resource keeps its value block's invalid mark and its creator's name:
/// `fs/dlm` frees an unused resource after `toss_secs` (10 s by default).
pub(crate) const CACHE_TIME_NS: i64 = 10_000_000_000;

/// The "no slot" link value.
pub(crate) const NIL: u32 = u32::MAX;

/// One of a resource's three lock queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queue {
    /// Granted locks with no conversion queued.
    Grant,
    /// Granted locks waiting for a conversion; they still hold their granted mode.
    Convert,
    /// New requests not yet granted.
    Wait,
}

/// The state of one lock, kept in its resource's slab.
///
/// # Invariants
///
/// - `id == 0` if and only if the slot is free; a free slot is on no queue and has no owner.
/// - `queue` names the queue whose list links this slot through `prev`/`next`, or is `None`
///   with both links `NIL`.
/// - A lock on [`Queue::Grant`] or [`Queue::Convert`] has a `grmode`; a lock on
///   [`Queue::Wait`] has none and has a `rqmode`.
pub(crate) struct LockState {
    /// Lock id (`lkid`), or 0 for a free slot.
    pub(crate) id: u32,
    /// The owner that receives the callbacks; `None` for an orphan, or while an owner is
    /// tearing the lock down (its callbacks are then dropped).
    pub(crate) owner: Option<Arc<Owner>>,
    /// The device's cookies, as of the last operation that set them.
    pub(crate) cookies: Cookies,
    /// Transaction id given with the last lock or convert (debugging only).
    pub(crate) xid: u64,
    /// The lock's own value block; created by the first `VALBLK` and kept for life.
    pub(crate) lvb: Option<KBox<[u8; LVB_LEN]>>,
    /// Sequence number of the resource block last copied to or from `lvb`.
    pub(crate) lvb_seq: u32,
    /// Flags of the last lock or convert, with those of later unlocks or cancels or-ed in.
    pub(crate) exflags: u32,
    /// Thread id of the last lock, convert or adopt.
    pub(crate) pid: u32,
    /// Previous slot on `queue`, or [`NIL`].
    prev: u32,
    /// Next slot on `queue` (or next free slot for a free slot), or [`NIL`].
    next: u32,
    /// The queue the lock is on, if any.
    pub(crate) queue: Option<Queue>,
    /// When the lock was put on its queue (`ktime_get()` nanoseconds; debugging only).
    pub(crate) queued_at: i64,
    /// Granted mode, if any.
    pub(crate) grmode: Option<Mode>,
    /// Requested mode while a request or conversion is pending.
    pub(crate) rqmode: Option<Mode>,
    /// Highest mode a blocking callback was decided for since the lock was last granted.
    pub(crate) highbast: Mode,
    /// `DLM_SBF_*` bits of the current operation.
    pub(crate) sbflags: u8,
    /// Mode of the last completion queued to the owner (`None`: none yet, or "no mode").
    pub(crate) last_cast: Option<Mode>,
    /// Mode of the last callback of either kind queued to the owner.
    pub(crate) last_cb: Option<Mode>,
    /// Whether that last callback was a blocking one.
    pub(crate) last_cb_bast: bool,
    /// Set by the deadlock command: the next cancel completes with `-EDEADLK`.
    pub(crate) deadlock_mark: bool,
}

impl LockState {
    /// A free slot.
    const FREE: LockState = LockState {
        id: 0,
        owner: None,
        cookies: Cookies::ZERO,
        xid: 0,
        lvb: None,
        lvb_seq: 0,
        exflags: 0,
        pid: 0,
        prev: NIL,
        next: NIL,
        queue: None,
        queued_at: 0,
        grmode: None,
        rqmode: None,
        highbast: Mode::Nl,
        sbflags: 0,
        last_cast: None,
        last_cb: None,
        last_cb_bast: false,
        deadlock_mark: false,
    };

    /// A free slot, for tests that build resource states by hand.
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) const FREE_FOR_TESTS: LockState = LockState::FREE;

    /// Returns the state of a new request, not yet on any queue.
    pub(crate) fn new_request(
        id: u32,
        owner: Arc<Owner>,
        mode: Mode,
        exflags: u32,
        pid: u32,
        lvb: Option<KBox<[u8; LVB_LEN]>>,
    ) -> LockState {
        LockState {
            id,
            owner: Some(owner),
            lvb,
            exflags,
            pid,
            rqmode: Some(mode),
            ..LockState::FREE
        }
    }
}

/// What a read of a slot number that names no slot returns: a free lock.
static FREE_LOCK: LockState = LockState::FREE;

/// Both ends of one queue.
#[derive(Clone, Copy)]
struct QueueEnds {
    /// First slot, or [`NIL`].
    head: u32,
    /// Last slot, or [`NIL`].
    tail: u32,
}

impl QueueEnds {
    /// An empty queue.
    const EMPTY: QueueEnds = QueueEnds {
        head: NIL,
        tail: NIL,
    };
}

/// The state of a resource, protected by [`Resource::inner`].
///
/// # Invariants
///
/// - Every used slot is on at most one queue; each queue list is consistent (`prev` and
///   `next` agree, `head`/`tail` are its ends).
/// - `used` counts the slots with a non-zero id; free slots are chained from `free`.
/// - Once `dead` is set the resource is out of its table and holds no lock.
pub(crate) struct ResourceInner {
    /// Lock slots, used and free.
    slots: KVVec<LockState>,
    /// First free slot, or [`NIL`].
    free: u32,
    /// Number of used slots.
    used: u32,
    /// The grant queue.
    grant: QueueEnds,
    /// The convert queue.
    convert: QueueEnds,
    /// The wait queue.
    wait: QueueEnds,
    /// The resource's value block, while one exists.
    pub(crate) lvb: Option<[u8; LVB_LEN]>,
    /// Incremented on each write of `lvb`.
    pub(crate) lvb_seq: u32,
    /// The value block is marked invalid (`DLM_SBF_VALNOTVALID`).
    pub(crate) lvb_invalid: bool,
    /// The resource was removed from its table; users must look it up again.
    pub(crate) dead: bool,
    /// The resource is in its shard's cache of empty resources (see `table.rs`), or about
    /// to be put there by the thread that emptied it.
    pub(crate) parked: bool,
    /// When the resource last became empty (`ktime_get()` nanoseconds), 0 if never.
    emptied_at: i64,
}

impl ResourceInner {
    /// Returns an empty resource state.
    pub(crate) fn new() -> Self {
        ResourceInner {
            slots: KVVec::new(),
            free: NIL,
            used: 0,
            grant: QueueEnds::EMPTY,
            convert: QueueEnds::EMPTY,
            wait: QueueEnds::EMPTY,
            lvb: None,
            lvb_seq: 0,
            lvb_invalid: false,
            dead: false,
            parked: false,
            emptied_at: 0,
        }
    }

    /// Returns the number of locks on the resource (including empty orphan entries).
    pub(crate) fn used(&self) -> u32 {
        self.used
    }

    /// Returns the lock in slot `i`, or a free lock if there is no such slot.
    pub(crate) fn lk(&self, i: u32) -> &LockState {
        self.slots.get(i as usize).unwrap_or(&FREE_LOCK)
    }

    /// Returns the lock in slot `i` for changing, if the slot exists.
    pub(crate) fn lk_mut(&mut self, i: u32) -> Option<&mut LockState> {
        self.slots.get_mut(i as usize)
    }

    /// Returns whether slot `i` holds lock `id` owned by `owner`.
    pub(crate) fn is_owned(&self, i: u32, id: u32, owner: &Arc<Owner>) -> bool {
        let l = self.lk(i);
        id != 0 && l.id == id && l.owner.as_ref().is_some_and(|o| Arc::ptr_eq(o, owner))
    }

    /// Returns whether slot `i` holds lock `id` as an orphan.
    pub(crate) fn is_orphan(&self, i: u32, id: u32) -> bool {
        let l = self.lk(i);
        id != 0 && l.id == id && l.owner.is_none()
    }

    /// Stores `lock` in a free slot and returns the slot number.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the slab cannot grow.
    pub(crate) fn insert(&mut self, lock: LockState) -> Result<u32> {
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.lk(i).next;
            if let Some(slot) = self.lk_mut(i) {
                *slot = lock;
            }
            i
        } else {
            let i = u32::try_from(self.slots.len()).map_err(|_| ENOMEM)?;
            if i == NIL {
                return Err(ENOMEM);
            }
            self.slots.push(lock, GFP_KERNEL)?;
            i
        };
        // INVARIANT: The slot now holds a lock with a non-zero id, on no queue yet.
        self.used += 1;
        Ok(i)
    }

    /// Takes the lock out of slot `i` (and off its queue) and frees the slot.
    pub(crate) fn remove(&mut self, i: u32) -> Option<LockState> {
        if self.lk(i).id == 0 {
            return None;
        }
        self.unlink(i);
        let free = self.free;
        let slot = self.lk_mut(i)?;
        let lock = mem::replace(slot, LockState::FREE);
        slot.next = free;
        // INVARIANT: The slot is free and chained; `used` drops with it.
        self.free = i;
        self.used -= 1;
        Some(lock)
    }

    /// Takes every lock out of the resource, leaving it empty.
    pub(crate) fn take_all(&mut self) -> KVVec<LockState> {
        self.free = NIL;
        self.used = 0;
        self.grant = QueueEnds::EMPTY;
        self.convert = QueueEnds::EMPTY;
        self.wait = QueueEnds::EMPTY;
        self.lvb = None;
        mem::take(&mut self.slots)
    }

    /// Returns the ends of queue `q`.
    fn ends(&self, q: Queue) -> &QueueEnds {
        match q {
            Queue::Grant => &self.grant,
            Queue::Convert => &self.convert,
            Queue::Wait => &self.wait,
        }
    }

    /// Returns the ends of queue `q` for changing.
    fn ends_mut(&mut self, q: Queue) -> &mut QueueEnds {
        match q {
            Queue::Grant => &mut self.grant,
            Queue::Convert => &mut self.convert,
            Queue::Wait => &mut self.wait,
        }
    }

    /// Returns the first slot of queue `q`, or [`NIL`].
    pub(crate) fn first(&self, q: Queue) -> u32 {
        self.ends(q).head
    }

    /// Returns whether queue `q` is empty.
    pub(crate) fn is_empty(&self, q: Queue) -> bool {
        self.ends(q).head == NIL
    }

    /// Returns the slot after `i` on its queue, or [`NIL`].
    pub(crate) fn next_of(&self, i: u32) -> u32 {
        self.lk(i).next
    }

    /// Returns an iterator over the slots of queue `q`, front to back.
    pub(crate) fn iter(&self, q: Queue) -> QueueIter<'_> {
        QueueIter {
            inner: self,
            cur: self.first(q),
        }
    }

    /// Links slot `i` into queue `q` between `prev` and `next` (neighbours, or [`NIL`]).
    fn link_between(&mut self, q: Queue, prev: u32, next: u32, i: u32) {
        if let Some(l) = self.lk_mut(i) {
            l.prev = prev;
            l.next = next;
            l.queue = Some(q);
            l.queued_at = Monotonic::ktime_get();
        }
        match self.lk_mut(prev) {
            Some(p) => p.next = i,
            None => self.ends_mut(q).head = i,
        }
        match self.lk_mut(next) {
            Some(n) => n.prev = i,
            None => self.ends_mut(q).tail = i,
        }
    }

    /// Links slot `i` at the back of queue `q`.
    pub(crate) fn link_tail(&mut self, q: Queue, i: u32) {
        let tail = self.ends(q).tail;
        self.link_between(q, tail, NIL, i);
    }

    /// Links slot `i` at the front of queue `q`.
    pub(crate) fn link_head(&mut self, q: Queue, i: u32) {
        let head = self.ends(q).head;
        self.link_between(q, NIL, head, i);
    }

    /// Links slot `i` into queue `q` just before slot `at`, which is on `q`.
    pub(crate) fn link_before(&mut self, q: Queue, at: u32, i: u32) {
        let prev = self.lk(at).prev;
        self.link_between(q, prev, at, i);
    }

    /// Unlinks slot `i` from its queue, if it is on one.
    pub(crate) fn unlink(&mut self, i: u32) {
        let l = self.lk(i);
        let (Some(q), prev, next) = (l.queue, l.prev, l.next) else {
            return;
        };
        // INVARIANT: The neighbours (or the queue ends) are joined, then the slot is cleared.
        match self.lk_mut(prev) {
            Some(p) => p.next = next,
            None => self.ends_mut(q).head = next,
        }
        match self.lk_mut(next) {
            Some(n) => n.prev = prev,
            None => self.ends_mut(q).tail = prev,
        }
        if let Some(l) = self.lk_mut(i) {
            l.queue = None;
            l.prev = NIL;
            l.next = NIL;
        }
    }

    /// Returns the used slots, in slot order, with their slot numbers.
    pub(crate) fn used_slots(&self) -> impl Iterator<Item = (u32, &LockState)> {
        (0u32..).zip(self.slots.iter()).filter(|(_, l)| l.id != 0)
    }

    /// Checks the type's invariants (slab, free chain, queue links and the modes each queue
    /// requires) and that the granted modes, converting locks included, are pairwise
    /// compatible. Every fault found goes to `report`.
    pub(crate) fn check_structure(&self, report: &mut Report<'_>) {
        let n = self.slots.len();
        let faults = report.failures();

        let mut free = 0usize;
        let mut i = self.free;
        while i != NIL {
            if free >= n || i as usize >= n {
                report.fail(format_args!("free chain runs off the slab or loops"));
                break;
            }
            let l = self.lk(i);
            if l.id != 0 || l.queue.is_some() || l.owner.is_some() {
                report.fail(format_args!("slot {i} is on the free chain but in use"));
            }
            free += 1;
            i = l.next;
        }
        let used = self.slots.iter().filter(|l| l.id != 0).count();
        if used != self.used as usize || used + free != n {
            report.fail(format_args!(
                "{} slots: {used} used (counted {}), {free} free",
                n, self.used
            ));
        }
        if self.dead && used != 0 {
            report.fail(format_args!("dead resource holds {used} locks"));
        }

        for q in [Queue::Grant, Queue::Convert, Queue::Wait] {
            let mut count = 0usize;
            let mut prev = NIL;
            let mut i = self.first(q);
            while i != NIL {
                if count >= n || i as usize >= n {
                    report.fail(format_args!("{q:?} queue runs off the slab or loops"));
                    break;
                }
                let l = self.lk(i);
                if l.id == 0 || l.queue != Some(q) || l.prev != prev {
                    report.fail(format_args!("{q:?} queue: slot {i} is badly linked"));
                }
                let modes_ok = match q {
                    Queue::Grant => l.grmode.is_some() && l.rqmode.is_none(),
                    Queue::Convert => l.grmode.is_some() && l.rqmode.is_some(),
                    Queue::Wait => l.grmode.is_none() && l.rqmode.is_some(),
                };
                if !modes_ok {
                    report.fail(format_args!(
                        "{q:?} queue: lock {:x} has modes {:?}/{:?}",
                        l.id, l.grmode, l.rqmode
                    ));
                }
                count += 1;
                prev = i;
                i = l.next;
            }
            if self.ends(q).tail != prev {
                report.fail(format_args!("{q:?} queue: tail is not the last slot"));
            }
            let on_q = self
                .slots
                .iter()
                .filter(|l| l.id != 0 && l.queue == Some(q))
                .count();
            if on_q != count {
                report.fail(format_args!(
                    "{q:?} queue: {count} slots linked, {on_q} slots say they are on it"
                ));
            }
        }
        for (_, l) in self.used_slots() {
            if l.queue.is_none() && (l.owner.is_some() || l.grmode.is_some()) {
                report.fail(format_args!("lock {:x} is on no queue", l.id));
            }
        }
        if report.failures() != faults {
            // The queues cannot be walked safely.
            return;
        }

        let mut held = [0usize; 6];
        for i in Iterator::chain(self.iter(Queue::Grant), self.iter(Queue::Convert)) {
            if let Some(m) = self.lk(i).grmode {
                if let Some(h) = held.get_mut(usize::from(m.as_raw())) {
                    *h += 1;
                }
            }
        }
        for a in 0..held.len() {
            for b in a..held.len() {
                let (ha, hb) = (held[a], held[b]);
                let both = if a == b { ha >= 2 } else { ha >= 1 && hb >= 1 };
                let (ma, mb) = (Mode::from_raw(a as u8), Mode::from_raw(b as u8));
                if both && !compatible(ma, mb) {
                    report.fail(format_args!("granted modes {ma:?} and {mb:?} conflict"));
                }
            }
        }
    }
}

/// Iterator over the slots of one queue (see [`ResourceInner::iter`]).
pub(crate) struct QueueIter<'a> {
    /// The resource.
    inner: &'a ResourceInner,
    /// The next slot to return, or [`NIL`].
    cur: u32,
}

impl Iterator for QueueIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.cur == NIL {
            return None;
        }
        let i = self.cur;
        self.cur = self.inner.next_of(i);
        Some(i)
    }
}

/// A named resource of a lockspace and the locks on it.
///
/// Shared through [`Arc`]: by its table while it is in use, and by the owners and orphan
/// entries that point at its locks.
#[pin_data]
pub(crate) struct Resource {
    /// The name as its creator gave it, zero-padded to [`NAME_MAX`] bytes.
    name: [u8; NAME_MAX],
    /// The length of the creator's name; changed only while the resource is empty, under
    /// `inner` (see [`Resource::renew_if_stale`]).
    name_len: AtomicU8,
    /// Hash of the name without trailing zero bytes (see `table.rs`).
    pub(crate) hash: u32,
    /// The queues, locks, value block and callback buffer.
    #[pin]
    pub(crate) inner: Mutex<ResourceInner>,
}

impl Resource {
    /// Creates an empty resource named `name` (at most [`NAME_MAX`] bytes).
    ///
    /// # Errors
    ///
    /// - `EINVAL` if `name` is too long.
    /// - `ENOMEM` if the resource cannot be allocated.
    pub(crate) fn new(name: &[u8], hash: u32) -> Result<Arc<Resource>> {
        let padded = pad_name(name).ok_or(EINVAL)?;
        let name_len = u8::try_from(name.len()).map_err(|_| EINVAL)?;
        Arc::pin_init(
            pin_init!(Resource {
                name: padded,
                name_len: AtomicU8::new(name_len),
                hash,
                inner <- new_mutex!(ResourceInner::new(), "Resource::inner"),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns the name as its creator gave it.
    pub(crate) fn name(&self) -> &[u8] {
        self.name
            .get(..usize::from(self.name_len.load(Ordering::Relaxed)))
            .unwrap_or(&self.name)
    }

    /// Returns whether the resource is named `padded` once both are zero-padded: the lookup
    /// rule of Linux 7.2.
    pub(crate) fn has_padded_name(&self, padded: &[u8; NAME_MAX]) -> bool {
        self.name == *padded
    }

    /// Returns whether the resource's creator named it exactly `name` (length and bytes): the
    /// adoption rule.
    pub(crate) fn has_exact_name(&self, name: &[u8]) -> bool {
        usize::from(self.name_len.load(Ordering::Relaxed)) == name.len()
            && self.name.get(..name.len()).is_some_and(|n| n == name)
    }

    /// Runs `f` on the resource state; the callbacks it decides are queued to their owners
    /// as it goes.
    ///
    /// Returns `None` if the resource left its table before the lock was taken (the caller
    /// looks it up again), else `f`'s result and whether the resource has just become empty
    /// and must be parked in its table's cache ([`ResourceTable::park`]).
    ///
    /// An empty resource drops its value block, as `fs/dlm` does when a resource becomes
    /// inactive; its invalid mark and sequence number stay while it is cached.
    ///
    /// [`ResourceTable::park`]: super::table::ResourceTable::park
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut ResourceInner) -> R) -> Option<(R, bool)> {
        let mut guard = self.inner.lock();
        if guard.dead {
            return None;
        }
        let r = f(&mut guard);
        let mut park = false;
        if guard.used == 0 {
            guard.lvb = None;
            guard.emptied_at = Monotonic::ktime_get();
            park = !guard.parked;
            guard.parked = true;
        }
        Some((r, park))
    }

    /// Makes an empty resource that has been unused for [`CACHE_TIME_NS`] or more new again,
    /// as if it had been freed and created afresh for `name`: its value block's invalid
    /// mark and sequence number are cleared, and `name` becomes its creator's name. Does
    /// nothing to a resource in use or recently emptied.
    ///
    /// The caller holds `inner`, the lock of this resource.
    pub(crate) fn renew_if_stale(&self, inner: &mut ResourceInner, name: &[u8]) {
        if inner.used != 0 || inner.emptied_at == 0 {
            return;
        }
        if Monotonic::ktime_get().saturating_sub(inner.emptied_at) < CACHE_TIME_NS {
            return;
        }
        inner.lvb_invalid = false;
        inner.lvb_seq = 0;
        inner.emptied_at = 0;
        // Names that find the same resource differ only by trailing zero bytes, so the
        // padded name stays; only the length changes.
        if let Ok(len) = u8::try_from(name.len()) {
            self.name_len.store(len, Ordering::Relaxed);
        }
    }
}

/// Returns `name` zero-padded to [`NAME_MAX`] bytes, or `None` if it is longer.
pub(crate) fn pad_name(name: &[u8]) -> Option<[u8; NAME_MAX]> {
    let mut padded = [0u8; NAME_MAX];
    padded.get_mut(..name.len())?.copy_from_slice(name);
    Some(padded)
}
