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
    locks::LockTableInner,
    mode::{
        lkf,
        Mode, //
    },
    resource::Resource,
    table::ResourceTable, //
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
    list: KVVec<Orphan>,
}

/// A lockspace's lock core.
///
/// The device layer keeps it in an [`Arc`]; every [`Owner`](super::Owner) holds another.
///
/// # Invariants
///
/// Every lock id in use in `locks` names exactly one used slot of one resource of `table`:
/// a lock listed for its owner, an entry of `orphans` (possibly an empty one, left by a
/// waiting persistent request), or a lock of a closing owner on its way out.
#[pin_data]
pub(crate) struct Lockspace {
    /// Resources by name.
    pub(crate) table: ResourceTable,
    /// Lock ids, where each lock lives, and each owner's locks.
    #[pin]
    pub(crate) locks: Mutex<LockTableInner>,
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
        let locks = LockTableInner::new()?;
        Arc::pin_init(
            pin_init!(Lockspace {
                table,
                locks <- new_mutex!(locks, "Lockspace::locks"),
                orphans <- new_mutex!(OrphansInner { list: KVVec::new() }, "Lockspace::orphans"),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns the number of locks in the lockspace: held, queued or orphaned (including the
    /// empty orphan entries of waiting persistent requests). A removal without `FORCEFREE`
    /// must fail with `EBUSY` while this is not zero.
    pub(crate) fn lock_count(&self) -> usize {
        self.locks.lock().used()
    }

    /// Returns the number of resources in the lockspace that hold a lock (cached empty ones
    /// are not counted).
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) fn resource_count(&self) -> usize {
        let mut n = 0;
        let _ = self.table.for_each(|r| -> Result {
            if r.inner.lock().used() != 0 {
                n += 1;
            }
            Ok(())
        });
        n
    }

    /// Returns the number of orphan locks.
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) fn orphan_count(&self) -> usize {
        self.orphans.lock().list.len()
    }

    /// Returns a copy of the orphan list.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the copy cannot be allocated.
    pub(crate) fn orphans_snapshot(&self) -> Result<KVVec<Orphan>> {
        let orphans = self.orphans.lock();
        let mut copy = KVVec::with_capacity(orphans.list.len(), GFP_KERNEL)?;
        for o in orphans.list.iter() {
            let o = Orphan {
                resource: o.resource.clone(),
                ..*o
            };
            copy.push(o, GFP_KERNEL)?;
        }
        Ok(copy)
    }

    /// Ends lock `lkid`'s life in the lock table: its id is free again. Called under the
    /// lock's `Resource::inner`, as the lock leaves its slot.
    pub(crate) fn end_of_life(&self, lkid: u32) {
        let entry = self.locks.lock().release(lkid);
        drop(entry);
    }

    /// Parks `resource` in the table's cache if `park` (it has just become empty, see
    /// `Resource::with`).
    pub(crate) fn park_if(&self, resource: &Arc<Resource>, park: bool) {
        if park {
            self.table.park(resource);
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
                KVVec::with_capacity(n, GFP_KERNEL),
                KVVec::with_capacity(n, GFP_KERNEL),
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
            self.end_of_life(o.lkid);
            true
        });
        if let Some((_, park)) = done {
            self.park_if(&o.resource, park);
        }
    }

    /// Frees every lock and resource of the lockspace at once, with no callback: the final
    /// step of a forced removal, once no file of the lockspace is open.
    ///
    /// Owners still open afterwards (a final removal whose wait was interrupted) find none
    /// of their locks and can make no new one (`ENOENT`).
    pub(crate) fn release_all(&self) {
        // First, so that no request adds a lock to a resource already emptied below.
        self.locks.lock().shut();
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

        let entries = self.locks.lock().reset();
        drop(entries);
    }
}

/// KUnit tests (suite `rdlm_lockspace`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_lockspace)]
mod tests {
    use super::*;
    use crate::manager::{
        mode::{
            lkf::*,
            Status, //
        },
        testing::{
            bast,
            cast,
            space,
            Fake, //
        }, //
    };

    /// Row 41: a `PERSISTENT` lock outlives its owner as an orphan and keeps blocking others.
    #[test]
    fn row41_persistent_lock_becomes_orphan() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        let l1 = {
            let a = Fake::new(&ls, 1)?;
            a.lock(b"r", Mode::Ex, PERSISTENT)?
        };
        assert_eq!(ls.orphan_count(), 1);
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        assert!(b.waiting(l2, Mode::Ex));
        assert_eq!(ls.lock_count(), 2);
        assert_eq!(b.unlock(l1), Err(ENOENT));
        Ok(())
    }

    /// Row 41: adoption takes the orphan with exactly that name and granted mode, returns
    /// its id and queues no callback; another mode gives `EAGAIN`, no orphan `ENOENT`.
    #[test]
    fn row41_adopt() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        let l1 = {
            let a = Fake::new(&ls, 1)?;
            a.lock(b"r", Mode::Ex, PERSISTENT)?
        };
        assert_eq!(b.adopt(b"r", Mode::Pr, PERSISTENT), Err(EAGAIN));
        assert_eq!(b.adopt(b"q", Mode::Ex, PERSISTENT), Err(ENOENT));
        assert_eq!(b.adopt(b"r\0", Mode::Ex, PERSISTENT), Err(ENOENT));
        assert_eq!(b.adopt(b"r", Mode::Ex, PERSISTENT), Ok(l1));
        assert!(b.received(&[]));
        assert_eq!(ls.orphan_count(), 0);
        let info = b.info(l1).ok_or(ENOENT)?;
        assert_eq!(info.cookies, b.cookies());
        assert_eq!(info.pid, b.pid());
        assert_eq!(b.adopt(b"r", Mode::Ex, PERSISTENT), Err(ENOENT));
        b.convert(l1, Mode::Pr, 0)?;
        b.unlock(l1)?;
        assert!(b.received(&[cast(l1, Status::Granted), cast(l1, Status::Unlock)]));
        assert_eq!(ls.lock_count(), 0);
        Ok(())
    }

    /// Row 41/53: adoption compares the name its creator gave exactly, although lookups
    /// alias names that differ by trailing zeros.
    #[test]
    fn row41_adopt_compares_creator_name() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        {
            let a = Fake::new(&ls, 1)?;
            a.lock(b"abc", Mode::Pr, PERSISTENT)?;
            a.lock(b"abc\0", Mode::Pr, PERSISTENT)?;
        }
        assert_eq!(ls.resource_count(), 1);
        assert_eq!(b.adopt(b"abc\0", Mode::Pr, 0), Err(ENOENT));
        assert_eq!(b.adopt(b"abc", Mode::Pr, 0), Ok(1));
        assert_eq!(b.adopt(b"abc", Mode::Pr, 0), Ok(2));
        Ok(())
    }

    /// Row 41: the adopter's flags replace the lock's; without `PERSISTENT` the lock is
    /// unlocked when the adopter closes; only the latest lock or convert's flags count.
    #[test]
    fn row41_persistence_follows_latest_flags() -> Result {
        let ls = space()?;
        {
            let a = Fake::new(&ls, 1)?;
            a.lock(b"r", Mode::Pr, PERSISTENT)?;
            let l2 = a.lock(b"s", Mode::Pr, PERSISTENT)?;
            a.convert(l2, Mode::Cr, 0)?;
        }
        assert_eq!(ls.orphan_count(), 1);
        {
            let b = Fake::new(&ls, 2)?;
            b.adopt(b"r", Mode::Pr, 0)?;
        }
        assert_eq!(ls.orphan_count(), 0);
        assert_eq!(ls.lock_count(), 0);
        Ok(())
    }

    /// Row 41: at close a persistent lock's pending conversion is cancelled without a
    /// callback; a waiting persistent request leaves an empty entry (counted, found by
    /// adoption as "another mode") until purged.
    #[test]
    fn row41_orphan_pending_operations_cancelled() -> Result {
        let ls = space()?;
        let q = Fake::new(&ls, 9)?;
        let l9 = q.lock(b"r", Mode::Pr, 0)?;
        let _l10 = q.lock(b"s", Mode::Ex, 0)?;
        {
            let a = Fake::new(&ls, 1)?;
            let l1 = a.lock(b"r", Mode::Pr, PERSISTENT)?;
            a.convert(l1, Mode::Ex, PERSISTENT)?;
            a.lock(b"s", Mode::Ex, PERSISTENT)?;
        }
        assert_eq!(ls.orphan_count(), 2);
        assert_eq!(ls.lock_count(), 4);
        q.take();
        q.convert(l9, Mode::Ex, NOQUEUE)?;
        assert!(q.received(&[cast(l9, Status::Again)]));

        let b = Fake::new(&ls, 2)?;
        assert_eq!(b.adopt(b"s", Mode::Ex, 0), Err(EAGAIN));
        assert_eq!(b.adopt(b"r", Mode::Pr, 0), Ok(3));
        ls.purge_orphans(0);
        assert_eq!(ls.orphan_count(), 0);
        assert_eq!(ls.lock_count(), 3);
        assert!(q.received(&[]));
        Ok(())
    }

    /// Row 21/41: purge by owner pid removes only that pid's orphans, purge with pid 0 all
    /// of them, and the waiters behind are granted.
    #[test]
    fn row41_purge_orphans() -> Result {
        let ls = space()?;
        let w = Fake::new(&ls, 9)?;
        for tag in [1, 2] {
            let a = Fake::new(&ls, tag)?;
            a.lock(&[tag as u8], Mode::Ex, PERSISTENT)?;
            a.lock(b"z", Mode::Nl, PERSISTENT)?;
        }
        let l1 = w.lock(&[1], Mode::Ex, 0)?;
        let l2 = w.lock(&[2], Mode::Ex, 0)?;
        w.take();
        w.o.purge(300, w.pid())?;
        assert_eq!(ls.orphan_count(), 4);
        w.o.purge(100, w.pid())?;
        assert_eq!(ls.orphan_count(), 2);
        assert!(w.received(&[cast(l1, Status::Granted)]));
        w.o.purge(0, w.pid())?;
        assert_eq!(ls.orphan_count(), 0);
        assert!(w.granted(l2, Mode::Ex));
        assert_eq!(ls.lock_count(), 2);
        Ok(())
    }

    /// Row 21: a purge naming the caller's own thread id force-unlocks every lock of the
    /// owner (persistent ones too) and drops its queued callbacks; the owner stays usable.
    #[test]
    fn purge_own_locks() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let _l1 = a.lock(b"r", Mode::Ex, PERSISTENT)?;
        let _l2 = a.lock(b"s", Mode::Pr, 0)?;
        let l3 = b.lock(b"r", Mode::Ex, 0)?;
        let _l4 = a.lock(b"r", Mode::Pr, 0)?;
        b.take();
        a.o.purge(a.pid(), a.pid())?;
        assert!(a.received(&[]));
        assert!(b.received(&[cast(l3, Status::Granted), bast(l3, Mode::Pr)]));
        assert_eq!(ls.orphan_count(), 0);
        assert_eq!(ls.lock_count(), 1);
        let l5 = a.lock(b"t", Mode::Pr, 0)?;
        assert!(a.received(&[cast(l5, Status::Granted)]));
        Ok(())
    }

    /// Row 51: close drops queued callbacks, force-unlocks the non-persistent locks in
    /// whatever state and grants the waiters; reads afterwards fail with `EINVAL`.
    #[test]
    fn row51_close_releases_locks() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        let (l4, l5) = {
            let a = Fake::new(&ls, 1)?;
            let _l1 = a.lock(b"r", Mode::Ex, 0)?;
            let l4 = b.lock(b"r", Mode::Pr, 0)?;
            let l5 = b.lock(b"s", Mode::Pr, 0)?;
            let l2 = a.lock(b"s", Mode::Pr, 0)?;
            a.convert(l2, Mode::Ex, 0)?;
            let _l3 = a.lock(b"t", Mode::Ex, 0)?;
            a.lock(b"t", Mode::Ex, 0)?;
            assert!(a.o.has_callbacks());
            a.o.close();
            assert!(!a.o.has_callbacks());
            assert_eq!(a.o.next_callback(true).err(), Some(EINVAL));
            (l4, l5)
        };
        assert_eq!(ls.lock_count(), 2);
        assert_eq!(ls.resource_count(), 2);
        assert!(b.granted(l4, Mode::Pr) && b.granted(l5, Mode::Pr));
        Ok(())
    }

    /// Row 51: close releases the locks in the order the owner got them (`fs/dlm`'s list
    /// order), not by lock id.
    #[test]
    fn row51_close_in_acquisition_order() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        let (wy, wz) = {
            let a = Fake::new(&ls, 1)?;
            let l1 = a.lock(b"x", Mode::Ex, 0)?;
            let _l2 = a.lock(b"y", Mode::Ex, 0)?;
            a.unlock(l1)?;
            assert_eq!(a.lock(b"z", Mode::Ex, 0)?, l1);
            (b.lock(b"y", Mode::Ex, 0)?, b.lock(b"z", Mode::Ex, 0)?)
        };
        assert!(b.received(&[cast(wy, Status::Granted), cast(wz, Status::Granted)]));
        Ok(())
    }

    /// Row 53: requests take binary names of 0 to 64 bytes; names that differ only by
    /// trailing zero bytes name one resource.
    #[test]
    fn row53_names_through_requests() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"", Mode::Ex, 0)?;
        let l2 = b.lock(&[0, 0], Mode::Ex, 0)?;
        assert!(a.granted(l1, Mode::Ex) && b.waiting(l2, Mode::Ex));
        let l3 = a.lock(b"abc", Mode::Ex, 0)?;
        let l4 = b.lock(b"abc\0", Mode::Ex, NOQUEUE)?;
        let l5 = b.lock(&[0xff; 64], Mode::Ex, 0)?;
        assert!(a.granted(l3, Mode::Ex) && b.granted(l5, Mode::Ex));
        assert!(b.received(&[cast(l4, Status::Again), cast(l5, Status::Granted)]));
        assert_eq!(b.lock(&[1; 65], Mode::Ex, 0), Err(EINVAL));
        assert_eq!(ls.resource_count(), 3);
        Ok(())
    }

    /// Row 52: locks belong to the owner (the open file), not to a thread: any holder of the
    /// owner can use them, and another owner cannot even see them (`ENOENT`, where `fs/dlm`
    /// would act on them).
    #[test]
    fn row52_ownership_per_owner() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        assert_eq!(b.convert(l1, Mode::Nl, 0), Err(ENOENT));
        assert_eq!(b.unlock(l1), Err(ENOENT));
        assert_eq!(b.cancel(l1), Err(ENOENT));
        assert_eq!(b.o.deadlock(l1, 0), Err(ENOENT));
        assert_eq!(a.cancel(l2), Err(ENOENT));
        assert!(a.granted(l1, Mode::Ex) && b.waiting(l2, Mode::Ex));

        // A second handle on the same owner, as after dup() or fork().
        let dup = Fake {
            o: a.o.clone(),
            tag: a.tag,
        };
        dup.convert(l1, Mode::Nl, 0)?;
        assert!(b.granted(l2, Mode::Ex));
        Ok(())
    }

    /// Row 49: lock ids are per lockspace, lowest free first, shared by its owners.
    #[test]
    fn row49_ids_per_lockspace() -> Result {
        let (ls1, ls2) = (space()?, space()?);
        let (a, b, c) = (
            Fake::new(&ls1, 1)?,
            Fake::new(&ls1, 2)?,
            Fake::new(&ls2, 3)?,
        );
        assert_eq!(a.lock(b"r", Mode::Nl, 0)?, 1);
        assert_eq!(b.lock(b"r", Mode::Nl, 0)?, 2);
        assert_eq!(a.lock(b"s", Mode::Nl, 0)?, 3);
        assert_eq!(c.lock(b"r", Mode::Nl, 0)?, 1);
        a.unlock(1)?;
        assert_eq!(b.lock(b"t", Mode::Nl, 0)?, 1);
        assert_eq!(ls1.lock_count(), 3);
        Ok(())
    }

    /// Lock count for a removal without force, and the forced release of everything.
    #[test]
    fn lock_count_and_release_all() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        {
            let c = Fake::new(&ls, 3)?;
            c.lock(b"s", Mode::Pr, PERSISTENT)?;
        }
        assert_eq!(ls.lock_count(), 3);
        ls.release_all();
        assert_eq!(ls.lock_count(), 0);
        assert_eq!(ls.resource_count(), 0);
        assert_eq!(ls.orphan_count(), 0);
        assert_eq!(a.unlock(l1), Err(ENOENT));
        assert_eq!(b.convert(l2, Mode::Nl, 0), Err(ENOENT));
        // A new lock would be left behind, holding its owner and through it the
        // lockspace: refused.
        assert_eq!(a.lock(b"r", Mode::Ex, 0), Err(ENOENT));
        assert_eq!(ls.lock_count(), 0);
        assert_eq!(ls.resource_count(), 0);
        Ok(())
    }
}
