// SPDX-License-Identifier: GPL-2.0

//! The lock table of a lockspace: which lock ids are in use, where each lock lives, and
//! which locks each owner holds.
//!
//! Entries are indexed by lock id, so finding a lock costs O(1) whatever the number of
//! locks. An owner is known to the table by a small number, [`OwnerNumber`], taken when its
//! file is opened; its locks are chained through their entries in the order it got them,
//! which is the order they are released or orphaned in when the file is closed (as
//! `fs/dlm`'s per-process list does). A lock with no owner in the table is an orphan, or a
//! lock of a closing owner on its way to being released or orphaned.
//!
//! The whole table is protected by `Lockspace::locks`, which may be taken under
//! `Resource::inner`: a lock's entry changes together with its slot in the resource.

use kernel::{
    prelude::*,
    sync::Arc, //
};

use super::{
    ids::LockIdsInner,
    resource::{
        Resource,
        NIL, //
    }, //
};
use crate::errno;

/// An owner's number in its lockspace's lock table.
pub(crate) type OwnerNumber = u32;

/// The owner number of a lock that no owner holds.
const NO_OWNER: OwnerNumber = u32::MAX;

/// Caps on the number of locks, checked when a new lock is added.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Locks one owner may hold.
    pub(crate) per_owner: usize,
    /// Locks the lockspace may hold, orphans included.
    pub(crate) per_lockspace: usize,
}

impl Limits {
    /// No cap.
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) const NONE: Limits = Limits {
        per_owner: usize::MAX,
        per_lockspace: usize::MAX,
    };
}

/// Where a lock lives.
#[derive(Clone)]
pub(crate) struct Location {
    /// The lock's resource.
    pub(crate) resource: Arc<Resource>,
    /// The lock's slot in the resource.
    pub(crate) slot: u32,
}

/// The entry of one lock id.
///
/// # Invariants
///
/// `resource` is `Some` exactly when the id is in use. An entry with an `owner` other than
/// [`NO_OWNER`] is on that owner's list through `prev` and `next`; any other has both `NIL`.
pub(crate) struct Entry {
    /// The lock's resource, while the id is in use.
    resource: Option<Arc<Resource>>,
    /// The lock's slot in the resource.
    slot: u32,
    /// The owner holding the lock, or [`NO_OWNER`].
    owner: OwnerNumber,
    /// Previous lock id on the owner's list, or [`NIL`].
    prev: u32,
    /// Next lock id on the owner's list, or [`NIL`].
    next: u32,
}

impl Entry {
    /// An unused entry.
    const FREE: Entry = Entry {
        resource: None,
        slot: NIL,
        owner: NO_OWNER,
        prev: NIL,
        next: NIL,
    };
}

/// The list of one owner's locks.
#[derive(Clone, Copy)]
struct OwnerList {
    /// First (oldest) lock id, or [`NIL`].
    head: u32,
    /// Last (newest) lock id, or [`NIL`].
    tail: u32,
    /// Number of locks on the list.
    count: usize,
    /// The number is given to an owner.
    in_use: bool,
}

impl OwnerList {
    /// The list of an unused owner number.
    const UNUSED: OwnerList = OwnerList {
        head: NIL,
        tail: NIL,
        count: 0,
        in_use: false,
    };
}

/// The lock table, protected by `Lockspace::locks`.
///
/// # Invariants
///
/// - Every id marked in use in `ids` has an entry with a resource, and no other has.
/// - Each owner's list holds exactly the entries naming that owner, and `count` is its
///   length.
pub(crate) struct LockTableInner {
    /// Lock ids in use (the lowest free one is given out).
    ids: LockIdsInner,
    /// Entries, by lock id.
    entries: KVVec<Entry>,
    /// Owner lists, by owner number.
    owners: KVVec<OwnerList>,
    /// Owner numbers given back, for reuse.
    free_owners: KVVec<OwnerNumber>,
    /// The lockspace has been released: no lock may be added any more.
    shut: bool,
}

impl LockTableInner {
    /// Creates an empty table.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the table cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        Ok(LockTableInner {
            ids: LockIdsInner::new()?,
            entries: KVVec::new(),
            owners: KVVec::new(),
            free_owners: KVVec::new(),
            shut: false,
        })
    }

    /// Returns the id allocator, for the invariant checker.
    pub(crate) fn ids(&self) -> &LockIdsInner {
        &self.ids
    }

    /// Returns the number of lock ids in use.
    pub(crate) fn used(&self) -> usize {
        self.ids.used()
    }

    /// Gives out an owner number.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the owner lists cannot grow.
    pub(crate) fn add_owner(&mut self) -> Result<OwnerNumber> {
        // Make sure a later `remove_owner` can record the number without allocating.
        self.free_owners
            .reserve(self.owners.len() + 1, GFP_KERNEL)?;
        let n = match self.free_owners.pop() {
            Some(n) => n,
            None => {
                let n = OwnerNumber::try_from(self.owners.len()).map_err(|_| ENOMEM)?;
                if n == NO_OWNER {
                    return Err(ENOMEM);
                }
                self.owners.push(OwnerList::UNUSED, GFP_KERNEL)?;
                n
            }
        };
        if let Some(list) = self.owners.get_mut(n as usize) {
            *list = OwnerList {
                in_use: true,
                ..OwnerList::UNUSED
            };
        }
        Ok(n)
    }

    /// Takes back owner number `o`; locks still on its list are left without an owner.
    pub(crate) fn remove_owner(&mut self, o: OwnerNumber) {
        while let Some(id) = self
            .owners
            .get(o as usize)
            .map(|l| l.head)
            .filter(|h| *h != NIL)
        {
            self.unlink(id);
        }
        if let Some(list) = self.owners.get_mut(o as usize) {
            if list.in_use {
                *list = OwnerList::UNUSED;
                // Cannot fail: `add_owner` reserved room for every number.
                let _ = self.free_owners.push_within_capacity(o);
            }
        }
    }

    /// Returns the number of locks owner `o` holds.
    pub(crate) fn owner_count(&self, o: OwnerNumber) -> usize {
        self.owners.get(o as usize).map_or(0, |l| l.count)
    }

    /// Returns the number of locks on owner `o`'s list, counted one by one.
    pub(crate) fn listed(&self, o: OwnerNumber) -> usize {
        let mut n = 0;
        let mut id = self.owners.get(o as usize).map_or(NIL, |l| l.head);
        while id != NIL && n <= self.entries.len() {
            n += 1;
            id = self.entries.get(id as usize).map_or(NIL, |e| e.next);
        }
        n
    }

    /// Takes the lowest free lock id for a new lock of owner `o` on `resource`, within
    /// `limits`; [`LockTableInner::place`] records its slot.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if the lockspace has been released ([`LockTableInner::shut`]).
    /// - `ENOLCK` if the owner or the lockspace holds as many locks as `limits` allow.
    /// - `ENOMEM` if the table cannot grow.
    pub(crate) fn alloc(
        &mut self,
        o: OwnerNumber,
        resource: &Arc<Resource>,
        limits: Limits,
    ) -> Result<u32> {
        if self.shut {
            return Err(ENOENT);
        }
        if self.owner_count(o) >= limits.per_owner || self.ids.used() >= limits.per_lockspace {
            return Err(errno::enolck());
        }
        let id = self.ids.alloc()?;
        let index = id as usize;
        if self.entries.len() <= index {
            let want = index + 1 - self.entries.len();
            if self.entries.reserve(want, GFP_KERNEL).is_err() {
                self.ids.free(id);
                return Err(ENOMEM);
            }
            while self.entries.len() <= index {
                // Cannot fail: there is room.
                let _ = self.entries.push_within_capacity(Entry::FREE);
            }
        }
        if let Some(e) = self.entries.get_mut(index) {
            e.resource = Some(resource.clone());
            e.slot = NIL;
        }
        self.link(o, id);
        Ok(id)
    }

    /// Records that lock `id` lives in `slot` of its resource.
    pub(crate) fn place(&mut self, id: u32, slot: u32) {
        if let Some(e) = self.entries.get_mut(id as usize) {
            e.slot = slot;
        }
    }

    /// Returns where lock `id` lives if owner `o` holds it.
    pub(crate) fn find(&self, id: u32, o: OwnerNumber) -> Option<Location> {
        let e = self.entries.get(id as usize)?;
        if e.owner != o || o == NO_OWNER {
            return None;
        }
        Some(Location {
            resource: e.resource.clone()?,
            slot: e.slot,
        })
    }

    /// Returns where lock `id` lives and which owner number holds it (`None`: no owner),
    /// whoever holds it.
    pub(crate) fn entry(&self, id: u32) -> Option<(Location, Option<OwnerNumber>)> {
        let e = self.entries.get(id as usize)?;
        let location = Location {
            resource: e.resource.clone()?,
            slot: e.slot,
        };
        Some((location, (e.owner != NO_OWNER).then_some(e.owner)))
    }

    /// Gives lock `id`, which has no owner, to owner `o` (an adoption).
    pub(crate) fn attach(&mut self, id: u32, o: OwnerNumber) {
        if self
            .entries
            .get(id as usize)
            .is_some_and(|e| e.resource.is_some())
        {
            self.unlink(id);
            self.link(o, id);
        }
    }

    /// Ends lock `id`'s life: its id is free again. Returns the entry's reference to the
    /// resource, for the caller to drop after releasing the table.
    pub(crate) fn release(&mut self, id: u32) -> Option<Arc<Resource>> {
        self.unlink(id);
        let e = self.entries.get_mut(id as usize)?;
        let resource = e.resource.take()?;
        e.slot = NIL;
        self.ids.free(id);
        Some(resource)
    }

    /// Takes every lock from owner `o`, in the order the owner got them, and returns them
    /// with their locations. The locks stay in use, with no owner.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the list cannot be copied; nothing is taken then.
    pub(crate) fn take_all_of(&mut self, o: OwnerNumber) -> Result<KVVec<(u32, Location)>> {
        let n = self.owner_count(o);
        let mut taken = KVVec::with_capacity(n, GFP_KERNEL)?;
        while let Some(id) = self
            .owners
            .get(o as usize)
            .map(|l| l.head)
            .filter(|h| *h != NIL)
        {
            if let Some((location, _)) = self.entry(id) {
                // Cannot fail: there is room for every lock of the list.
                let _ = taken.push_within_capacity((id, location));
            }
            self.unlink(id);
        }
        Ok(taken)
    }

    /// Takes the oldest lock of owner `o`, as [`LockTableInner::take_all_of`] does for all.
    pub(crate) fn take_first_of(&mut self, o: OwnerNumber) -> Option<(u32, Location)> {
        let id = self
            .owners
            .get(o as usize)
            .map(|l| l.head)
            .filter(|h| *h != NIL)?;
        let taken = self.entry(id).map(|(location, _)| (id, location));
        self.unlink(id);
        taken
    }

    /// Refuses every later [`LockTableInner::alloc`]: the lockspace is being released, and a
    /// lock added after its resources were emptied would be left behind (holding its owner,
    /// which holds the lockspace).
    pub(crate) fn shut(&mut self) {
        self.shut = true;
    }

    /// Frees every lock id and leaves every owner with no lock. Returns the old entries,
    /// for the caller to drop after releasing the table (they hold resources).
    pub(crate) fn reset(&mut self) -> KVVec<Entry> {
        for list in self.owners.iter_mut() {
            list.head = NIL;
            list.tail = NIL;
            list.count = 0;
        }
        self.ids.reset();
        core::mem::take(&mut self.entries)
    }

    /// Appends lock `id`, on no list, to owner `o`'s list.
    fn link(&mut self, o: OwnerNumber, id: u32) {
        let Some(list) = self.owners.get_mut(o as usize).filter(|l| l.in_use) else {
            return;
        };
        let tail = list.tail;
        list.tail = id;
        if tail == NIL {
            list.head = id;
        }
        list.count += 1;
        if let Some(t) = self.entries.get_mut(tail as usize) {
            t.next = id;
        }
        if let Some(e) = self.entries.get_mut(id as usize) {
            // INVARIANT: The entry names the owner whose list it was just put on.
            e.owner = o;
            e.prev = tail;
            e.next = NIL;
        }
    }

    /// Takes lock `id` off its owner's list, if it is on one.
    fn unlink(&mut self, id: u32) {
        let Some(e) = self.entries.get_mut(id as usize) else {
            return;
        };
        if e.owner == NO_OWNER {
            return;
        }
        let (o, prev, next) = (e.owner, e.prev, e.next);
        // INVARIANT: The entry leaves its owner's list and names no owner.
        e.owner = NO_OWNER;
        e.prev = NIL;
        e.next = NIL;
        match self.entries.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => {
                if let Some(l) = self.owners.get_mut(o as usize) {
                    l.head = next;
                }
            }
        }
        match self.entries.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => {
                if let Some(l) = self.owners.get_mut(o as usize) {
                    l.tail = prev;
                }
            }
        }
        if let Some(l) = self.owners.get_mut(o as usize) {
            l.count = l.count.saturating_sub(1);
        }
    }
}
