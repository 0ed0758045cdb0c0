// SPDX-License-Identifier: GPL-2.0

//! The invariant checker: walks a lockspace and reports every inconsistency it finds.
//!
//! It checks that every lock is on exactly one queue of its resource (or, for the empty
//! entry of a waiting orphan, on none), that queue links agree with the lock slab, that the
//! granted modes of each resource are pairwise compatible, that every lock belongs to exactly
//! one owner or to the orphan list, that each owner's record of its locks agrees with the
//! resources, that an empty resource is in its shard's cache, and that the counters (lock
//! ids in use, resources per shard, slots per resource) agree with what was found.
//!
//! The walk takes one lock of the core at a time, so it sees a lockspace in use as a series
//! of snapshots; a state that is consistent only at rest can then look wrong for a moment.
//! [`Lockspace::check`] therefore runs the walk again before it reports, and is meant for a
//! lockspace at rest (as the tests use it).

use core::fmt;
use kernel::{
    bindings,
    prelude::*,
    rbtree::RBTree,
    sync::Arc,
    time::{
        delay::fsleep,
        Delta, //
    }, //
};

use super::{
    inspect::ResourceView,
    lockspace::Lockspace,
    owner::Owner, //
};

/// At most this many faults are logged per check.
const MAX_LOGGED: usize = 20;

/// Walks made before a fault is reported.
const PASSES: usize = 3;

/// Where a check's faults go.
pub(crate) struct Report<'a> {
    /// The lockspace's name, for the log.
    name: &'a [u8],
    /// Whether faults are only counted, not logged.
    quiet: bool,
    /// Number of faults found.
    failures: usize,
}

impl<'a> Report<'a> {
    /// Creates a report for lockspace `name`.
    fn new(name: &'a [u8], quiet: bool) -> Self {
        Report {
            name,
            quiet,
            failures: 0,
        }
    }

    /// Returns the number of faults found so far.
    pub(crate) fn failures(&self) -> usize {
        self.failures
    }

    /// Records a fault, described by `what`.
    pub(crate) fn fail(&mut self, what: fmt::Arguments<'_>) {
        self.failures += 1;
        if !self.quiet && self.failures <= MAX_LOGGED {
            pr_err!(
                "rdlm: lockspace {} is inconsistent: {}\n",
                Escaped(self.name),
                what
            );
        }
    }
}

/// Shows a binary name with its non-printable bytes escaped.
pub(crate) struct Escaped<'a>(pub(crate) &'a [u8]);

impl kernel::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            if b.is_ascii_graphic() && *b != b'\\' {
                write!(f, "{}", char::from(*b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Returns `EUCLEAN`, which the `kernel` crate does not name.
fn euclean() -> Error {
    // `EUCLEAN` is a valid errno below `MAX_ERRNO`.
    Error::from_errno(-(bindings::EUCLEAN as i32))
}

/// A lock without an owner, as the resources show it.
struct Unowned {
    /// Lock id.
    lkid: u32,
    /// Address of the resource, for comparison only.
    resource: usize,
    /// Slot in the resource.
    slot: u32,
    /// Granted mode.
    mode: Option<super::mode::Mode>,
}

impl Lockspace {
    /// Checks the lockspace's invariants (see the module documentation), logging the faults
    /// under `name`.
    ///
    /// # Errors
    ///
    /// - `EUCLEAN` if the lockspace is inconsistent on every one of a few walks.
    /// - `ENOMEM` if a walk cannot allocate its copies.
    pub(crate) fn check(&self, name: &[u8]) -> Result {
        for pass in 1..=PASSES {
            let mut report = Report::new(name, pass < PASSES);
            self.check_once(&mut report)?;
            if report.failures() == 0 {
                return Ok(());
            }
            if pass < PASSES {
                fsleep(Delta::from_millis(10));
            }
        }
        Err(euclean())
    }

    /// Walks the lockspace once, recording every fault in `report`.
    fn check_once(&self, report: &mut Report<'_>) -> Result {
        // Owners seen on locks, by address, with the number of their locks seen.
        let mut owners: RBTree<usize, (Arc<Owner>, usize)> = RBTree::new();
        let mut ids = KVVec::new();
        let mut unowned = KVVec::new();
        let mut resources = 0usize;

        self.table.for_each(|r| -> Result {
            let Some(view) = ResourceView::take(r, Some(report))? else {
                report.fail(format_args!("a removed resource is still in the table"));
                return Ok(());
            };
            resources += 1;
            if view.locks.is_empty() && !view.parked {
                report.fail(format_args!(
                    "resource {} holds no lock and is not cached",
                    Escaped(view.name())
                ));
            }
            for l in view.locks.iter() {
                ids.push(l.id, GFP_KERNEL)?;
                let Some(o) = &l.owner else {
                    unowned.push(
                        Unowned {
                            lkid: l.id,
                            resource: Arc::as_ptr(r) as usize,
                            slot: l.slot,
                            mode: l.grmode,
                        },
                        GFP_KERNEL,
                    )?;
                    continue;
                };
                if !core::ptr::eq(&**o.lockspace(), self) {
                    report.fail(format_args!(
                        "lock {:x} has an owner of another lockspace",
                        l.id
                    ));
                }
                let recorded = o
                    .find_lock(l.id)
                    .is_some_and(|lr| Arc::ptr_eq(&lr.resource, r) && lr.slot == l.slot);
                if !recorded {
                    report.fail(format_args!(
                        "lock {:x} on {} is not recorded by its owner",
                        l.id,
                        Escaped(view.name())
                    ));
                }
                let key = Arc::as_ptr(o) as usize;
                match owners.get_mut(&key) {
                    Some((_, n)) => *n += 1,
                    None => {
                        owners.try_create_and_insert(key, (o.clone(), 1), GFP_KERNEL)?;
                    }
                }
            }
            Ok(())
        })?;

        let in_table = self.table.check(report);
        if in_table != resources {
            report.fail(format_args!(
                "the table counts {in_table} resources, the walk found {resources}"
            ));
        }

        // Every lock id once, each marked in use, and as many in use as locks found.
        ids.sort_unstable();
        if ids.windows(2).any(|w| w.first() == w.get(1)) {
            report.fail(format_args!("a lock id is used by two locks"));
        }
        {
            let table = self.locks.lock();
            let bitmap = table.ids();
            let unmarked = ids.iter().filter(|id| !bitmap.is_used(**id)).count();
            let (population, levels_ok) = bitmap.population();
            let used = bitmap.used();
            drop(table);
            if unmarked != 0 {
                report.fail(format_args!("{unmarked} lock ids are not marked in use"));
            }
            if used != ids.len() || population != used || !levels_ok {
                report.fail(format_args!(
                    "{} locks found, {used} ids counted in use, {population} marked{}",
                    ids.len(),
                    if levels_ok {
                        ""
                    } else {
                        ", summary bits wrong"
                    }
                ));
            }
        }

        // The locks without an owner are exactly the orphans.
        let mut orphans = self.orphans_snapshot()?;
        orphans.sort_unstable_by_key(|o| o.lkid);
        unowned.sort_unstable_by_key(|u| u.lkid);
        let same = orphans.len() == unowned.len()
            && orphans.iter().zip(unowned.iter()).all(|(o, u)| {
                o.lkid == u.lkid
                    && Arc::as_ptr(&o.resource) as usize == u.resource
                    && o.slot == u.slot
                    && o.mode == u.mode
            });
        if !same {
            report.fail(format_args!(
                "{} locks have no owner, {} orphans are listed",
                unowned.len(),
                orphans.len()
            ));
        }

        // Each owner's list holds exactly the locks that name it, and its count agrees.
        for (_, (o, n)) in owners.iter() {
            let recorded = o.recorded_locks();
            let counted = o.lock_count();
            if recorded != *n || counted != *n {
                report.fail(format_args!(
                    "an owner lists {recorded} locks and counts {counted}, {n} locks name it"
                ));
            }
        }
        Ok(())
    }
}

/// KUnit tests (suite `rdlm_check`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_check)]
mod tests {
    use super::*;
    use crate::manager::{
        mode::{
            lkf::*,
            Mode, //
        },
        testing::{
            space,
            Fake, //
        }, //
    };

    /// An empty lockspace, and one with granted, converting, waiting and orphan locks (an
    /// empty orphan entry too), is consistent at every step.
    #[test]
    fn consistent_through_a_scenario() -> Result {
        let ls = space()?;
        ls.check(b"kunit")?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        b.convert(l2, Mode::Ex, 0)?;
        let _l3 = b.lock(b"r", Mode::Cw, 0)?;
        let _l4 = a.lock(b"s", Mode::Ex, VALBLK)?;
        ls.check(b"kunit")?;
        {
            let c = Fake::new(&ls, 3)?;
            c.lock(b"s", Mode::Pr, PERSISTENT)?;
            c.lock(b"t", Mode::Nl, PERSISTENT)?;
        }
        ls.check(b"kunit")?;
        a.unlock(l1)?;
        ls.check(b"kunit")?;
        drop(b);
        ls.check(b"kunit")?;
        ls.purge_orphans(0);
        ls.check(b"kunit")?;
        drop(a);
        ls.check(b"kunit")?;
        assert_eq!(ls.lock_count(), 0);
        Ok(())
    }

    /// A broken state is found: an orphan entry whose lock is gone.
    #[test]
    fn finds_a_lost_orphan() -> Result {
        let ls = space()?;
        {
            let c = Fake::new(&ls, 3)?;
            c.lock(b"s", Mode::Pr, PERSISTENT)?;
        }
        ls.check(b"kunit")?;
        let mut report = Report::new(b"kunit", true);
        let r = ls.table.find(b"s").ok_or(ENOENT)?;
        // Take the lock out of its slot behind the orphan list's back.
        let slot = r
            .inner
            .lock()
            .used_slots()
            .map(|(i, _)| i)
            .next()
            .ok_or(ENOENT)?;
        let taken = r.inner.lock().remove(slot);
        ls.check_once(&mut report)?;
        assert!(report.failures() >= 2);
        drop(taken);
        Ok(())
    }
}
