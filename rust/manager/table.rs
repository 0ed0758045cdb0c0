// SPDX-License-Identifier: GPL-2.0

//! The resource table of a lockspace: a hash table split into independently locked shards.
//!
//! A name's hash picks the shard (low bits) and the home bucket within it (high bits). Each
//! shard is an open-addressing table with linear probing, kept at most three-quarters full
//! and doubled when needed, so a lookup costs O(1) on average whatever the number of
//! resources; removal shifts the following entries back instead of leaving tombstones.
//!
//! A resource whose last lock goes stays in the table, empty, so that the next request on
//! the name finds it again without allocating. Each shard caches at most [`PARKED`] empty
//! resources, in the order they were first cached; parking one more evicts the oldest,
//! which is then removed from the table and freed unless it is in use again. An empty resource kept
//! for [`CACHE_TIME_NS`](super::resource::CACHE_TIME_NS) or longer is renewed when it is
//! used again (`Resource::renew_if_stale`), so that it behaves as a new one, as `fs/dlm`'s
//! resources do once its scan timer has freed them.
//!
//! Names are compared zero-padded to [`NAME_MAX`] bytes, as Linux 7.2 does: `"abc"` and
//! `"abc\0"` name the same resource. The hash is taken over the name without its trailing
//! zero bytes so that such names also hash alike.

use kernel::{
    alloc::AllocError,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    }, //
};

use super::{
    check::Report,
    resource::{
        pad_name,
        Resource, //
    }, //
};

/// Number of shards: a power of two.
const SHARDS: usize = 256;

/// Number of empty resources a shard keeps cached.
const PARKED: usize = 16;

/// Initial number of buckets of a shard: a power of two.
const MIN_BUCKETS: usize = 8;

/// Returns `name` without its trailing zero bytes.
fn trim_zeros(name: &[u8]) -> &[u8] {
    let len = name.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1);
    name.get(..len).unwrap_or(name)
}

/// Hashes a resource name: FNV-1a over the name without trailing zeros, then the
/// MurmurHash3 finaliser so that both the low (shard) and high (bucket) bits are mixed.
pub(crate) fn name_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in trim_zeros(name) {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// One shard's buckets, protected by [`Shard::inner`].
///
/// # Invariants
///
/// - `buckets.len()` is 0 or a power of two, and more than `len * 4 / 3`.
/// - Every resource sits in its home bucket or after it, with no empty bucket in between.
pub(crate) struct ShardInner {
    /// The buckets.
    buckets: KVVec<Option<Arc<Resource>>>,
    /// Number of resources.
    len: usize,
    /// Empty resources kept cached, oldest at `park_next` (a ring).
    parked: [Option<Arc<Resource>>; PARKED],
    /// The ring position the next parked resource takes.
    park_next: usize,
}

impl ShardInner {
    /// Returns the home bucket of `hash`; the table must not be empty.
    fn home(&self, hash: u32) -> usize {
        ((hash >> 8) as usize) & (self.buckets.len().wrapping_sub(1))
    }

    /// Returns the bucket after `i`, wrapping around.
    fn after(&self, i: usize) -> usize {
        i.wrapping_add(1) & (self.buckets.len().wrapping_sub(1))
    }

    /// Returns the bucket holding a resource for which `is_it` is true, searching from
    /// `hash`'s home bucket.
    fn position(&self, hash: u32, is_it: impl Fn(&Arc<Resource>) -> bool) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut i = self.home(hash);
        for _ in 0..self.buckets.len() {
            match self.buckets.get(i)? {
                Some(r) if is_it(r) => return Some(i),
                Some(_) => i = self.after(i),
                None => return None,
            }
        }
        None
    }

    /// Stores `r` in the first empty bucket from its home; there must be one.
    fn place(&mut self, r: Arc<Resource>) {
        let mut i = self.home(r.hash);
        for _ in 0..self.buckets.len() {
            match self.buckets.get_mut(i) {
                Some(b @ None) => {
                    *b = Some(r);
                    return;
                }
                Some(Some(_)) => i = self.after(i),
                None => return,
            }
        }
    }

    /// Makes room for one more resource, doubling the buckets if the load would pass 3/4.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the buckets cannot grow.
    fn reserve_one(&mut self) -> Result {
        let cap = self.buckets.len();
        if (self.len + 1) * 4 <= cap * 3 {
            return Ok(());
        }
        let new_cap = (cap * 2).max(MIN_BUCKETS);
        let fresh = KVVec::from_elem(None, new_cap, GFP_KERNEL)?;
        let old = core::mem::replace(&mut self.buckets, fresh);
        // INVARIANT: Every resource is placed again in the doubled table.
        for r in old.into_iter().flatten() {
            self.place(r);
        }
        Ok(())
    }

    /// Removes resource `r`, shifting back the entries that probed past it.
    fn remove(&mut self, r: &Arc<Resource>) -> Option<Arc<Resource>> {
        let mut hole = self.position(r.hash, |x| Arc::ptr_eq(x, r))?;
        let removed = self.buckets.get_mut(hole)?.take();
        self.len -= 1;

        // INVARIANT: An entry moves into the hole when the hole lies on its probe path.
        let mask = self.buckets.len().wrapping_sub(1);
        let mut j = hole;
        loop {
            j = self.after(j);
            let home = match self.buckets.get(j) {
                Some(Some(x)) => self.home(x.hash),
                _ => break,
            };
            if hole.wrapping_sub(home) & mask < j.wrapping_sub(home) & mask {
                let moved = self.buckets.get_mut(j).and_then(Option::take);
                if let Some(h) = self.buckets.get_mut(hole) {
                    *h = moved;
                }
                hole = j;
            }
        }
        removed
    }
}

/// One shard of a [`ResourceTable`].
#[pin_data]
struct Shard {
    /// The shard's buckets.
    #[pin]
    inner: Mutex<ShardInner>,
}

/// The resources of a lockspace, by name.
pub(crate) struct ResourceTable {
    /// [`SHARDS`] shards.
    shards: KVec<Pin<KBox<Shard>>>,
}

impl ResourceTable {
    /// Creates an empty table.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the shards cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        let mut shards = KVec::with_capacity(SHARDS, GFP_KERNEL)?;
        for _ in 0..SHARDS {
            let shard = KBox::pin_init(
                pin_init!(Shard {
                    inner <- new_mutex!(
                        ShardInner {
                            buckets: KVVec::new(),
                            len: 0,
                            parked: [const { None }; PARKED],
                            park_next: 0,
                        },
                        "Shard::inner"
                    ),
                }),
                GFP_KERNEL,
            )?;
            shards.push(shard, GFP_KERNEL)?;
        }
        Ok(ResourceTable { shards })
    }

    /// Returns the shard of `hash`.
    fn shard(&self, hash: u32) -> Result<&Shard> {
        let shard = self.shards.get(hash as usize % SHARDS).ok_or(EINVAL)?;
        Ok(shard.as_ref().get_ref())
    }

    /// Returns the resource named `name`, creating it if needed.
    ///
    /// # Errors
    ///
    /// - `EINVAL` if `name` is longer than [`NAME_MAX`].
    /// - `ENOMEM` if a new resource or the shard's growth cannot be allocated.
    pub(crate) fn find_or_create(&self, name: &[u8]) -> Result<Arc<Resource>> {
        let padded = pad_name(name).ok_or(EINVAL)?;
        let hash = name_hash(name);
        let mut shard = self.shard(hash)?.inner.lock();
        if let Some(i) = shard.position(hash, |r| r.has_padded_name(&padded)) {
            if let Some(Some(r)) = shard.buckets.get(i) {
                return Ok(r.clone());
            }
        }
        shard.reserve_one()?;
        let r = Resource::new(name, hash)?;
        shard.place(r.clone());
        shard.len += 1;
        Ok(r)
    }

    /// Returns the resource named `name`, if it exists.
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) fn find(&self, name: &[u8]) -> Option<Arc<Resource>> {
        let padded = pad_name(name)?;
        let hash = name_hash(name);
        let shard = self.shard(hash).ok()?.inner.lock();
        let i = shard.position(hash, |r| r.has_padded_name(&padded))?;
        shard.buckets.get(i)?.clone()
    }

    /// Caches resource `r`, which has just become empty (see [`Resource::with`]), in its
    /// shard; the shard's oldest cached resource makes room, and is removed from the table
    /// and marked dead (so that threads that found it earlier look it up again) unless it
    /// is in use again.
    pub(crate) fn park(&self, r: &Arc<Resource>) {
        let Ok(shard) = self.shard(r.hash) else {
            return;
        };
        let mut shard = shard.inner.lock();
        let k = shard.park_next;
        shard.park_next = (k + 1) % PARKED;
        let Some(old) = shard.parked.get_mut(k).and_then(|p| p.replace(r.clone())) else {
            return;
        };
        // Lock order (see `manager.rs`): `Shard::inner`, then `Resource::inner`.
        {
            let mut inner = old.inner.lock();
            inner.parked = false;
            if inner.dead || inner.used() != 0 {
                return;
            }
            inner.dead = true;
        }
        let removed = shard.remove(&old);
        drop(shard);
        drop(removed);
    }

    /// Returns the number of resources, cached empty ones included.
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.inner.lock().len).sum()
    }

    /// Calls `f` on every resource, one shard at a time, outside the shard lock; stops at the
    /// first error `f` returns. Resources added or removed meanwhile may be seen or not.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if a shard's resources cannot be copied; or what `f` returns.
    pub(crate) fn for_each<E: From<AllocError>>(
        &self,
        mut f: impl FnMut(&Arc<Resource>) -> core::result::Result<(), E>,
    ) -> core::result::Result<(), E> {
        for shard in self.shards.iter() {
            let copy = {
                let inner = shard.inner.lock();
                let mut copy = KVVec::with_capacity(inner.len, GFP_KERNEL)?;
                for r in inner.buckets.iter().flatten() {
                    copy.push(r.clone(), GFP_KERNEL)?;
                }
                copy
            };
            for r in copy.iter() {
                f(r)?;
            }
        }
        Ok(())
    }

    /// Checks every shard's count and that each resource sits in its own shard, and returns
    /// the number of resources.
    pub(crate) fn check(&self, report: &mut Report<'_>) -> usize {
        let mut total = 0;
        for (k, shard) in self.shards.iter().enumerate() {
            let inner = shard.inner.lock();
            let mut n = 0;
            for r in inner.buckets.iter().flatten() {
                n += 1;
                if r.hash as usize % SHARDS != k {
                    report.fail(format_args!("a resource sits in the wrong shard"));
                }
            }
            if n != inner.len {
                report.fail(format_args!(
                    "shard {k} counts {} resources, holds {n}",
                    inner.len
                ));
            }
            total += n;
        }
        total
    }

    /// Takes every resource out of the table, calling `f` on each outside the shard lock.
    pub(crate) fn drain(&self, mut f: impl FnMut(Arc<Resource>)) {
        for shard in self.shards.iter() {
            let (buckets, parked) = {
                let mut inner = shard.inner.lock();
                inner.len = 0;
                inner.park_next = 0;
                (
                    core::mem::take(&mut inner.buckets),
                    core::mem::replace(&mut inner.parked, [const { None }; PARKED]),
                )
            };
            drop(parked);
            for r in buckets.into_iter().flatten() {
                f(r);
            }
        }
    }
}

/// KUnit tests (suite `rdlm_table`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kunit_tests(rdlm_table)]
mod tests {
    use super::*;
    use crate::manager::mode::NAME_MAX;

    /// Row 53: names are binary, of length 0 to 64, and longer ones are refused.
    #[test]
    fn row53_binary_names_up_to_64() -> Result {
        let t = ResourceTable::new()?;
        let a = t.find_or_create(b"")?;
        let b = t.find_or_create(&[0xff; NAME_MAX])?;
        let c = t.find_or_create(b"a\0b")?;
        let d = t.find_or_create(b"a\0c")?;
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(t.find_or_create(&[1; NAME_MAX + 1]).is_err());
        assert_eq!(t.len(), 4);
        Ok(())
    }

    /// Row 53: names that differ only by trailing zero bytes alias (the 7.2 rule), and the
    /// resource keeps its creator's exact name.
    #[test]
    fn row53_trailing_zero_aliasing() -> Result {
        let t = ResourceTable::new()?;
        let a = t.find_or_create(b"abc")?;
        let b = t.find_or_create(b"abc\0\0")?;
        assert!(Arc::ptr_eq(&a, &b));
        assert!(b.has_exact_name(b"abc"));
        assert!(!b.has_exact_name(b"abc\0\0"));
        let e = t.find_or_create(b"")?;
        let z = t.find_or_create(&[0; 10])?;
        assert!(Arc::ptr_eq(&e, &z));
        assert_eq!(t.len(), 2);
        Ok(())
    }

    /// Many resources: every one is found again, and removal keeps the others reachable.
    #[test]
    fn table_grows_and_shrinks() -> Result {
        let t = ResourceTable::new()?;
        let n: u32 = 20_000;
        for i in 0..n {
            t.find_or_create(&i.to_le_bytes())?;
        }
        assert_eq!(t.len(), n as usize);
        for i in (0..n).step_by(2) {
            if let Some(r) = t.find(&i.to_le_bytes()) {
                t.park(&r);
            }
        }
        // Each shard keeps its last PARKED parked resources; the others are gone.
        let (mut odd, mut even) = (0, 0);
        for i in 0..n {
            if t.find(&i.to_le_bytes()).is_some() {
                if i % 2 == 1 {
                    odd += 1;
                } else {
                    even += 1;
                }
            }
        }
        assert_eq!(odd, n / 2);
        assert!(even > 0 && even <= (SHARDS * PARKED) as u32);
        assert_eq!(t.len(), (odd + even) as usize);
        let mut drained = 0;
        t.drain(|_| drained += 1);
        assert_eq!(drained, odd + even);
        assert_eq!(t.len(), 0);
        Ok(())
    }

    /// A shard keeps its last `PARKED` empty resources; parking one more evicts the oldest,
    /// unless that one is in use again.
    #[test]
    fn parking_evicts_the_oldest() -> Result {
        let t = ResourceTable::new()?;
        let mut names = KVec::new();
        let mut i: u32 = 0;
        while names.len() < PARKED + 2 {
            if name_hash(&i.to_le_bytes()) as usize % SHARDS == 7 {
                names.push(i.to_le_bytes(), GFP_KERNEL)?;
            }
            i += 1;
        }
        let first = t.find_or_create(&names[0])?;
        let second = t.find_or_create(&names[1])?;
        t.park(&first);
        t.park(&second);
        // In use again: eviction must leave it alone.
        let mut lock = crate::manager::resource::LockState::FREE_FOR_TESTS;
        lock.id = 99;
        second.inner.lock().insert(lock)?;
        for n in names.iter().take(PARKED).skip(2) {
            let r = t.find_or_create(n)?;
            t.park(&r);
        }
        assert!(t.find(&names[0]).is_some());
        let r = t.find_or_create(&names[PARKED])?;
        t.park(&r);
        assert!(t.find(&names[0]).is_none());
        assert!(first.inner.lock().dead);
        let r = t.find_or_create(&names[PARKED + 1])?;
        t.park(&r);
        assert!(t.find(&names[1]).is_some());
        assert!(!second.inner.lock().dead);
        Ok(())
    }
}
