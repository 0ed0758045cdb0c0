// SPDX-License-Identifier: GPL-2.0

//! Lockspaces: resources by name, lock ids, and the orphan locks no owner holds.

use core::mem;
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    }, //
};

use super::{
    ids::LockIdsInner,
    mode::{
        lkf,
        Mode, //
    },
    resource::Resource,
    table::ResourceTable,
};

/// A lock left behind by a closed owner because it was `PERSISTENT`.
pub(crate) struct Orphan {
    /// The lock id.
    pub(crate) lkid: u32,
    /// The lock's resource.
    pub(crate) resource: Arc<Resource>,
    /// The lock's slot in the resource.
    pub(crate) slot: u32,
    /// The granted mode; `None` for the empty entry a waiting request leaves.
    pub(crate) mode: Option<Mode>,
    /// Thread id of the last lock, convert or adopt of the lock.
    pub(crate) pid: u32,
}

/// The orphan list of a lockspace, protected by [`Lockspace::orphans`].
pub(crate) struct OrphansInner {
    /// Orphans, oldest first: adoption takes the first match.
    list: KVec<Orphan>,
}

/// A lockspace's lock core.
///
/// The device layer keeps it in an [`Arc`]; every [`Owner`](super::Owner) holds another.
#[pin_data]
pub(crate) struct Lockspace {
    /// Resources by name.
    pub(crate) table: ResourceTable,
    /// Lock ids in use.
    #[pin]
    pub(crate) ids: Mutex<LockIdsInner>,
    /// Locks of closed owners, kept because they were persistent.
    #[pin]
    orphans: Mutex<OrphansInner>,
}

impl Lockspace {
    /// Creates an empty lockspace.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the lockspace cannot be allocated.
    pub(crate) fn new() -> Result<Arc<Lockspace>> {
        let table = ResourceTable::new()?;
        let ids = LockIdsInner::new()?;
        Arc::pin_init(
            pin_init!(Lockspace {
                table,
                ids <- new_mutex!(ids, "Lockspace::ids"),
                orphans <- new_mutex!(OrphansInner { list: KVec::new() }, "Lockspace::orphans"),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns the number of locks in the lockspace: held, queued or orphaned (including the
    /// empty orphan entries of waiting persistent requests). A removal without `FORCEFREE`
    /// must fail with `EBUSY` while this is not zero.
    pub(crate) fn lock_count(&self) -> usize {
        self.ids.lock().used()
    }

    /// Returns the number of resources in the lockspace.
    pub(crate) fn resource_count(&self) -> usize {
        self.table.len()
    }

    /// Returns the number of orphan locks.
    pub(crate) fn orphan_count(&self) -> usize {
        self.orphans.lock().list.len()
    }

    /// Frees lock id `lkid`, and the resource if it became empty.
    pub(crate) fn end_of_life(&self, lkid: u32, resource: &Arc<Resource>, empty: bool) {
        self.ids.lock().free(lkid);
        if empty {
            self.table.remove_if_empty(resource);
        }
    }

    /// Adds `orphan` at the end of the orphan list.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the list cannot grow; the orphan is given back.
    pub(crate) fn add_orphan(&self, orphan: Orphan) -> core::result::Result<(), Orphan> {
        let mut orphans = self.orphans.lock();
        if orphans.list.reserve(1, GFP_KERNEL).is_err() {
            return Err(orphan);
        }
        orphans.list.push_within_capacity(orphan).map_err(|e| e.0)
    }

    /// Takes the first orphan whose resource was created with exactly `name` and whose
    /// granted mode is `mode`.
    ///
    /// # Errors
    ///
    /// - `EAGAIN` if orphans exist on that name, but none in `mode`.
    /// - `ENOENT` if no orphan exists on that name.
    pub(crate) fn take_orphan(&self, name: &[u8], mode: u8) -> Result<Orphan> {
        let mut orphans = self.orphans.lock();
        let mut other_mode = false;
        let mut found = None;
        for (k, o) in orphans.list.iter().enumerate() {
            if !o.resource.has_exact_name(name) {
                continue;
            }
            if o.mode.map(Mode::as_raw) != Some(mode) {
                other_mode = true;
                continue;
            }
            found = Some(k);
            break;
        }
        match found {
            Some(k) => orphans.list.remove(k).map_err(|_| ENOENT),
            None if other_mode => Err(EAGAIN),
            None => Err(ENOENT),
        }
    }

    /// Force-unlocks every orphan whose owner pid is `pid`, or every orphan if `pid` is 0,
    /// with `IVVALBLK`; then grants what that allows.
    pub(crate) fn purge_orphans(&self, pid: u32) {
        let matches = |o: &Orphan| pid == 0 || o.pid == pid;
        let taken = {
            let mut orphans = self.orphans.lock();
            let n = orphans.list.len();
            match (
                KVec::with_capacity(n, GFP_KERNEL),
                KVec::with_capacity(n, GFP_KERNEL),
            ) {
                (Ok(mut keep), Ok(mut taken)) => {
                    for o in orphans.list.drain_all() {
                        let to = if matches(&o) { &mut taken } else { &mut keep };
                        // Cannot fail: both vectors have room for every orphan.
                        let _ = to.push_within_capacity(o);
                    }
                    orphans.list = keep;
                    Some(taken)
                }
                _ => None,
            }
        };
        match taken {
            Some(taken) => {
                for o in taken.iter() {
                    self.force_unlock_orphan(o);
                }
            }
            None => {
                // Out of memory: take the orphans one by one instead.
                while let Some(o) = self.take_orphan_where(matches) {
                    self.force_unlock_orphan(&o);
                }
            }
        }
    }

    /// Takes the first orphan for which `is_it` is true.
    fn take_orphan_where(&self, is_it: impl Fn(&Orphan) -> bool) -> Option<Orphan> {
        let mut orphans = self.orphans.lock();
        let k = orphans.list.iter().position(is_it)?;
        orphans.list.remove(k).ok()
    }

    /// Force-unlocks orphan `o` with `IVVALBLK`, with no callback for it.
    pub(crate) fn force_unlock_orphan(&self, o: &Orphan) {
        let done = o.resource.with(|r| {
            if !r.is_orphan(o.slot, o.lkid) {
                return false;
            }
            if let Some(l) = r.lk_mut(o.slot) {
                l.exflags |= lkf::IVVALBLK;
            }
            r.do_unlock(o.slot);
            r.remove(o.slot);
            true
        });
        if let Some((true, empty)) = done {
            self.end_of_life(o.lkid, &o.resource, empty);
        }
    }

    /// Frees every lock and resource of the lockspace at once, with no callback: the final
    /// step of a forced removal, once no file of the lockspace is open.
    ///
    /// Owners still open afterwards find none of their locks (`ENOENT`).
    pub(crate) fn release_all(&self) {
        let orphans = mem::take(&mut self.orphans.lock().list);
        drop(orphans);

        self.table.drain(|r| {
            let locks = {
                let mut inner = r.inner.lock();
                inner.dead = true;
                inner.take_all()
            };
            drop(locks);
        });

        self.ids.lock().reset();
    }
}
