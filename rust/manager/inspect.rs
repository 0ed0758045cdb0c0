// SPDX-License-Identifier: GPL-2.0

//! Read-only views of a lockspace's resources and locks, for debugfs and the checker.
//!
//! A [`ResourceView`] is copied under the resource's mutex and used after it is released,
//! so that formatting a large dump never holds a lock of the core, and the views of one
//! walk never hold two resource mutexes at once.

use core::fmt;
use kernel::{
    alloc::AllocError,
    prelude::*,
    sync::Arc, //
};

use super::{
    check::Report,
    lockspace::Lockspace,
    mode::{
        Mode,
        LVB_LEN,
        NAME_MAX, //
    },
    owner::Owner,
    resource::{
        Queue,
        Resource, //
    }, //
};

/// A copy of one lock's state.
pub(crate) struct LockView {
    /// Lock id.
    pub(crate) id: u32,
    /// Slot in its resource.
    pub(crate) slot: u32,
    /// The owner, `None` for an orphan.
    pub(crate) owner: Option<Arc<Owner>>,
    /// Thread id of the last lock, convert or adopt.
    pub(crate) pid: u32,
    /// Transaction id of the last lock or convert.
    pub(crate) xid: u64,
    /// Flags of the last lock or convert (and later unlocks or cancels).
    pub(crate) exflags: u32,
    /// The queue the lock is on; `None` for the empty entry of a waiting orphan.
    pub(crate) queue: Option<Queue>,
    /// Granted mode.
    pub(crate) grmode: Option<Mode>,
    /// Requested mode.
    pub(crate) rqmode: Option<Mode>,
    /// When the lock was put on its queue, in `ktime_get()` nanoseconds.
    pub(crate) queued_at: i64,
    /// Sequence number of the value block last copied to or from the lock.
    pub(crate) lvb_seq: u32,
    /// Mode of the last blocking callback queued to the owner, if the last callback was one.
    pub(crate) last_bast: Option<Mode>,
}

impl LockView {
    /// Returns `fs/dlm`'s queue status: 1 waiting, 2 granted, 3 converting, 0 on no queue.
    pub(crate) fn status(&self) -> i32 {
        match self.queue {
            Some(Queue::Wait) => 1,
            Some(Queue::Grant) => 2,
            Some(Queue::Convert) => 3,
            None => 0,
        }
    }

    /// Returns the granted mode's ABI value, -1 for none.
    pub(crate) fn grmode_raw(&self) -> i32 {
        raw(self.grmode)
    }

    /// Returns the requested mode's ABI value, -1 for none.
    pub(crate) fn rqmode_raw(&self) -> i32 {
        raw(self.rqmode)
    }

    /// Returns the last blocking mode's ABI value, -1 for none.
    pub(crate) fn last_bast_raw(&self) -> i32 {
        raw(self.last_bast)
    }

    /// Returns whether the lock waits for a request or conversion.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.queue, Some(Queue::Wait | Queue::Convert))
    }
}

/// Returns the ABI value of `mode`, -1 for none.
fn raw(mode: Option<Mode>) -> i32 {
    mode.map_or(-1, |m| i32::from(m.as_raw()))
}

/// A copy of one resource's state and of its locks.
pub(crate) struct ResourceView {
    /// The resource.
    pub(crate) resource: Arc<Resource>,
    /// The creator's name, zero-padded.
    name: [u8; NAME_MAX],
    /// The creator's name length.
    name_len: usize,
    /// The resource's value block, while one exists.
    pub(crate) lvb: Option<[u8; LVB_LEN]>,
    /// Sequence number of the value block.
    pub(crate) lvb_seq: u32,
    /// The value block is marked invalid.
    pub(crate) lvb_invalid: bool,
    /// The resource is in (or on its way into) its shard's cache of empty resources.
    pub(crate) parked: bool,
    /// The locks: grant queue, convert queue and wait queue in order, then the locks on no
    /// queue.
    pub(crate) locks: KVVec<LockView>,
}

impl ResourceView {
    /// Copies the state of `r`, checking its structure into `report` if given.
    ///
    /// Returns `None` if the resource has left its table.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the copy cannot be allocated.
    pub(crate) fn take(r: &Arc<Resource>, report: Option<&mut Report<'_>>) -> Result<Option<Self>> {
        let name = r.name();
        let mut padded = [0u8; NAME_MAX];
        if let Some(p) = padded.get_mut(..name.len()) {
            p.copy_from_slice(name);
        }
        let inner = r.inner.lock();
        if inner.dead {
            return Ok(None);
        }
        if let Some(report) = report {
            inner.check_structure(report);
        }
        let mut locks = KVVec::with_capacity(inner.used() as usize, GFP_KERNEL)?;
        let queued = [Queue::Grant, Queue::Convert, Queue::Wait]
            .into_iter()
            .flat_map(|q| inner.iter(q).take(inner.used() as usize));
        let unqueued = inner
            .used_slots()
            .filter(|(_, l)| l.queue.is_none())
            .map(|(i, _)| i);
        for slot in Iterator::chain(queued, unqueued).take(inner.used() as usize) {
            let l = inner.lk(slot);
            locks.push(
                LockView {
                    id: l.id,
                    slot,
                    owner: l.owner.clone(),
                    pid: l.pid,
                    xid: l.xid,
                    exflags: l.exflags,
                    queue: l.queue,
                    grmode: l.grmode,
                    rqmode: l.rqmode,
                    queued_at: l.queued_at,
                    lvb_seq: l.lvb_seq,
                    last_bast: if l.last_cb_bast { l.last_cb } else { None },
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Some(ResourceView {
            resource: r.clone(),
            name: padded,
            name_len: name.len(),
            lvb: inner.lvb,
            lvb_seq: inner.lvb_seq,
            lvb_invalid: inner.lvb_invalid,
            parked: inner.parked,
            locks,
        }))
    }

    /// Returns the name as its creator gave it.
    pub(crate) fn name(&self) -> &[u8] {
        self.name.get(..self.name_len).unwrap_or(&self.name)
    }
}

impl Lockspace {
    /// Calls `f` on a view of every resource that holds a lock (not the cached empty ones),
    /// taken one at a time; stops at the first error.
    ///
    /// Resources created or freed during the walk may be seen or not; each view is
    /// consistent on its own.
    pub(crate) fn for_each_view(
        &self,
        mut f: impl FnMut(&ResourceView) -> fmt::Result,
    ) -> fmt::Result {
        self.table
            .for_each(|r| -> core::result::Result<(), ViewError> {
                match ResourceView::take(r, None) {
                    Ok(Some(view)) if view.locks.is_empty() => Ok(()),
                    Ok(Some(view)) => f(&view).map_err(|_| ViewError),
                    Ok(None) => Ok(()),
                    Err(_) => Err(ViewError),
                }
            })
            .map_err(|_| fmt::Error)
    }
}

/// A walk of views stopped: out of memory, or the formatter failed.
struct ViewError;

impl From<AllocError> for ViewError {
    fn from(_: AllocError) -> Self {
        ViewError
    }
}
