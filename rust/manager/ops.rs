// SPDX-License-Identifier: GPL-2.0

//! The operations an owner makes: lock (request, convert, adopt), unlock, cancel, the
//! deadlock command, purge, and close.
//!
//! Each entry point does what `fs/dlm`'s `device_user_*` and `dlm_user_*` functions do for
//! the same command, in the same order of checks, so that the same request fails with the
//! same error. Where rdlm deliberately differs, the doc comment says so.

use kernel::{
    prelude::*,
    sync::Arc, //
};

use super::{
    grant::{
        Outcome,
        Revert, //
    },
    locks::{
        Limits,
        Location, //
    },
    lockspace::Orphan,
    mode::{
        lkf,
        quecvt_allowed,
        Mode,
        LVB_LEN,
        NAME_MAX, //
    },
    owner::{
        Cookies,
        Owner, //
    },
    resource::{
        LockState,
        Queue,
        ResourceInner, //
    }, //
};

/// The arguments of a lock command (`struct dlm_lock_params`), as the device decoded them.
///
/// `parent` and `timeout` are not here: Linux 7.2 ignores them.
pub(crate) struct LockArgs<'a> {
    /// Requested mode (`DLM_LOCK_*`), unchecked.
    pub(crate) mode: u8,
    /// `DLM_LKF_*` flags.
    pub(crate) flags: u32,
    /// The lock to convert (with `DLM_LKF_CONVERT`).
    pub(crate) lkid: u32,
    /// Transaction id, stored for debugging.
    pub(crate) xid: u64,
    /// The user's pointers.
    pub(crate) cookies: Cookies,
    /// The value block sent with the request.
    pub(crate) lvb: [u8; LVB_LEN],
    /// The resource name (ignored by a convert).
    pub(crate) name: &'a [u8],
    /// The calling thread's id.
    pub(crate) pid: u32,
    /// Caps on the number of locks, for a new request.
    pub(crate) limits: Limits,
}

/// The arguments of an unlock command, as the device decoded them.
pub(crate) struct UnlockArgs {
    /// The lock.
    pub(crate) lkid: u32,
    /// `DLM_LKF_*` flags; `CANCEL` makes it a cancel.
    pub(crate) flags: u32,
    /// New completion argument, if non-zero.
    pub(crate) cast_param: u64,
    /// New `lksb` address.
    pub(crate) lksb: u64,
    /// The value block sent with the request.
    pub(crate) lvb: [u8; LVB_LEN],
}

/// Checks the arguments of a request or conversion (`set_lock_args`), returning the mode.
///
/// # Errors
///
/// - `EINVAL` for a mode above EX; a new request's name over 64 bytes; `CANCEL`; `QUECVT` or
///   `CONVDEADLK` without `CONVERT`; `CONVDEADLK` with `NOQUEUE`; `EXPEDITE` with `CONVERT`,
///   `QUECVT`, `NOQUEUE` or a mode other than NL; and, unlike `fs/dlm`, `FORCEUNLOCK`.
fn check_lock_args(mode: u8, flags: u32, name_len: usize) -> Result<Mode> {
    let mode = Mode::from_raw(mode).ok_or(EINVAL)?;
    let has = |f: u32| flags & f != 0;
    let convert = has(lkf::CONVERT);
    let expedite = has(lkf::EXPEDITE);
    let bad = (!convert && name_len > NAME_MAX)
        || has(lkf::CANCEL)
        || (has(lkf::QUECVT) && !convert)
        || (has(lkf::CONVDEADLK) && !convert)
        || (has(lkf::CONVDEADLK) && has(lkf::NOQUEUE))
        || (expedite && (convert || has(lkf::QUECVT) || has(lkf::NOQUEUE)))
        || (expedite && mode != Mode::Nl)
        // fs/dlm stores FORCEUNLOCK, and then skips the lock's forced unlock at close.
        || has(lkf::FORCEUNLOCK);
    if bad {
        return Err(EINVAL);
    }
    Ok(mode)
}

/// Checks the flags of an unlock, cancel or deadlock command (`set_unlock_args`).
///
/// # Errors
///
/// - `EINVAL` for a flag other than `CANCEL`, `VALBLK`, `IVVALBLK` and `FORCEUNLOCK`, or for
///   `CANCEL` with `FORCEUNLOCK`.
fn check_unlock_flags(flags: u32) -> Result {
    if flags & !lkf::UNLOCK_MASK != 0 || (flags & lkf::CANCEL != 0 && flags & lkf::FORCEUNLOCK != 0)
    {
        return Err(EINVAL);
    }
    Ok(())
}

/// Records an unlock's or cancel's flags on lock `i` (`FORCEUNLOCK` aside: rdlm never
/// stores it, see [`check_lock_args`]) and clears its `DLM_SBF_*` bits.
fn note_unlock_flags(r: &mut ResourceInner, i: u32, flags: u32) {
    if let Some(l) = r.lk_mut(i) {
        l.exflags |= flags & !lkf::FORCEUNLOCK;
        l.sbflags = 0;
    }
}

/// Cancels lock `i`'s pending operation for a cancel or deadlock command with `flags`
/// (`validate_unlock_args` then `do_cancel`). Returns whether the lock's life ended.
///
/// With `CANCEL` in `flags`, a lock with nothing pending is left alone. `deadlock` marks the
/// lock so that the cancel completes with `-EDEADLK`; the mark stays if nothing was
/// cancelled.
///
/// # Errors
///
/// - `EINVAL` if `flags` has `CANCEL` and a cancel is already recorded in the lock's flags
///   since its last lock or convert (`fs/dlm` also prints a kernel warning then).
fn cancel_locked(r: &mut ResourceInner, i: u32, flags: u32, deadlock: bool) -> Result<bool> {
    let l = r.lk(i);
    if flags & lkf::CANCEL != 0 {
        if l.exflags & lkf::CANCEL != 0 {
            return Err(EINVAL);
        }
        if l.queue == Some(Queue::Grant) {
            return Ok(false);
        }
    }
    note_unlock_flags(r, i, flags);
    if deadlock {
        if let Some(l) = r.lk_mut(i) {
            l.deadlock_mark = true;
        }
    }
    if r.do_cancel(i) == Revert::Removed {
        r.remove(i);
        return Ok(true);
    }
    Ok(false)
}

/// Unlocks lock `i` at close or purge time: no callback for it, `IVVALBLK` so that a PW or
/// EX holder invalidates the value block, then re-grant.
fn force_unlock_locked(r: &mut ResourceInner, i: u32) {
    if let Some(l) = r.lk_mut(i) {
        l.owner = None;
        l.exflags |= lkf::IVVALBLK;
        l.sbflags = 0;
    }
    r.do_unlock(i);
    r.remove(i);
}

/// What closing an owner did to one of its locks.
enum Closed {
    /// The lock was not there any more.
    Gone,
    /// The lock was unlocked.
    Unlocked,
    /// The lock became an orphan with this granted mode and owner pid.
    Orphaned(Option<Mode>, u32),
}

impl Owner {
    /// Runs a lock command (`device_user_lock`): a conversion with `CONVERT`, else an
    /// adoption with `ORPHAN`, else a new request.
    ///
    /// Returns the lock id for a request or an adoption, 0 for a conversion. A request that
    /// fails with `NOQUEUE` still returns its id: the failure arrives as a completion with
    /// `-EAGAIN`, and the id is free again at once.
    ///
    /// # Errors
    ///
    /// - `EINVAL` if `cast_addr` or `lksb` is zero, or see [`check_lock_args`]; a convert
    ///   checks its arguments only after finding the lock, and fails with `EINVAL` for a
    ///   disallowed `QUECVT` pair (without the kernel warning `fs/dlm` prints).
    /// - `ENOENT` if a convert names a lock this owner does not hold (`fs/dlm` accepts any
    ///   lock of the lockspace), or an adoption finds no orphan of that name.
    /// - `EBUSY` if a convert names a lock that is not granted or has a conversion pending.
    /// - `EAGAIN` if an adoption finds orphans of that name, but none in that mode.
    /// - `ENOMEM` if memory runs out.
    pub(crate) fn lock(self: &Arc<Self>, args: &LockArgs<'_>) -> Result<u32> {
        if args.cookies.cast_addr == 0 || args.cookies.lksb == 0 {
            return Err(EINVAL);
        }
        if args.flags & lkf::CONVERT != 0 {
            self.convert(args)?;
            Ok(0)
        } else if args.flags & lkf::ORPHAN != 0 {
            self.adopt(args)
        } else {
            self.request(args)
        }
    }

    /// Makes a new request (`dlm_user_request`) and returns its lock id.
    fn request(self: &Arc<Self>, args: &LockArgs<'_>) -> Result<u32> {
        let mode = check_lock_args(args.mode, args.flags, args.name.len())?;
        let lvb = if args.flags & lkf::VALBLK != 0 {
            // A new request starts with a zeroed block: its `lvb` bytes are not copied.
            Some(KBox::new([0u8; LVB_LEN], GFP_KERNEL)?)
        } else {
            None
        };
        let ls = self.lockspace();
        let mut lock = Some(LockState::new_request(
            0,
            self.clone(),
            mode,
            args.flags,
            args.pid,
            lvb,
        ));
        if let Some(l) = lock.as_mut() {
            l.cookies = args.cookies;
            l.xid = args.xid;
        }
        loop {
            let resource = ls.table.find_or_create(args.name)?;
            let done = resource.with(|r| -> Result<u32> {
                resource.renew_if_stale(r, args.name);
                let mut l = lock.take().ok_or(EINVAL)?;
                let mut locks = ls.locks.lock();
                let lkid = locks.alloc(self.number, &resource, args.limits)?;
                l.id = lkid;
                let i = match r.insert(l) {
                    Ok(i) => i,
                    Err(e) => {
                        let entry = locks.release(lkid);
                        drop(locks);
                        drop(entry);
                        return Err(e);
                    }
                };
                locks.place(lkid, i);
                drop(locks);
                if r.do_request(i) == Outcome::Again {
                    r.remove(i);
                    ls.end_of_life(lkid);
                }
                Ok(lkid)
            });
            if let Some((result, park)) = done {
                ls.park_if(&resource, park);
                return result;
            }
            // The resource was being removed: look it up again.
        }
    }

    /// Returns where this owner's lock `lkid` lives.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    fn find(&self, lkid: u32) -> Result<Location> {
        self.find_lock(lkid).ok_or(ENOENT)
    }

    /// Converts lock `args.lkid` (`dlm_user_convert`).
    ///
    /// Before any check of the arguments, the lock gets a value block if `VALBLK` asks for
    /// one, the request's `lvb` bytes go into the lock's block if it has one, and the cookies
    /// and xid are replaced.
    fn convert(self: &Arc<Self>, args: &LockArgs<'_>) -> Result {
        let lr = self.find(args.lkid)?;
        let done = lr.resource.with(|r| -> Result {
            let i = lr.slot;
            if !r.is_owned(i, args.lkid, self) {
                return Err(ENOENT);
            }
            let l = r.lk_mut(i).ok_or(ENOENT)?;
            if args.flags & lkf::VALBLK != 0 && l.lvb.is_none() {
                l.lvb = Some(KBox::new([0u8; LVB_LEN], GFP_KERNEL)?);
            }
            if let Some(b) = l.lvb.as_mut() {
                **b = args.lvb;
            }
            l.cookies = args.cookies;
            l.xid = args.xid;

            let mode = check_lock_args(args.mode, args.flags, 0)?;
            if l.queue != Some(Queue::Grant) {
                return Err(EBUSY);
            }
            if args.flags & lkf::QUECVT != 0 && !quecvt_allowed(l.grmode, mode) {
                return Err(EINVAL);
            }
            l.exflags = args.flags;
            l.sbflags = 0;
            l.rqmode = Some(mode);
            l.pid = args.pid;
            r.do_convert(i);
            Ok(())
        });
        let (result, park) = done.ok_or(ENOENT)?;
        self.lockspace().park_if(&lr.resource, park);
        result
    }

    /// Adopts an orphan (`dlm_user_adopt_orphan`): the first orphan created with exactly
    /// this name and granted `args.mode` becomes this owner's, with the caller's cookies, xid,
    /// pid and flags. No callback follows.
    fn adopt(self: &Arc<Self>, args: &LockArgs<'_>) -> Result<u32> {
        if args.flags & lkf::FORCEUNLOCK != 0 {
            return Err(EINVAL);
        }
        let ls = self.lockspace();
        let o = ls.take_orphan(args.name, args.mode)?;
        let done = o.resource.with(|r| {
            if !r.is_orphan(o.slot, o.lkid) {
                return false;
            }
            if let Some(l) = r.lk_mut(o.slot) {
                l.owner = Some(self.clone());
                l.exflags = args.flags;
                l.pid = args.pid;
                l.cookies = args.cookies;
                l.xid = args.xid;
            }
            ls.locks.lock().attach(o.lkid, self.number);
            true
        });
        let (adopted, park) = done.ok_or(ENOENT)?;
        ls.park_if(&o.resource, park);
        if !adopted {
            return Err(ENOENT);
        }
        Ok(o.lkid)
    }

    /// Runs an unlock command (`device_user_unlock`): a cancel with `CANCEL`, else an unlock.
    ///
    /// An unlock completes with `-DLM_EUNLOCK` and ends the lock's life, whatever its state
    /// (granted, converting or waiting); the pending operation gets no completion of its
    /// own. `FORCEUNLOCK` behaves as a plain unlock, as it does for local locks in `fs/dlm`.
    /// A cancel completes with `-DLM_ECANCEL`; cancelling a lock with nothing pending does
    /// nothing, but a second cancel after a cancelled conversion (before the next lock or
    /// convert) is refused.
    ///
    /// Before any check of the flags, an unlock copies the request's `lvb` into the lock's
    /// block (if it has one); both replace `cast_param` if the new one is non-zero, and
    /// `lksb` always.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    /// - `EINVAL` for bad flags, see [`check_unlock_flags`], or for a cancel while one is
    ///   already recorded (see [`cancel_locked`]).
    pub(crate) fn unlock(self: &Arc<Self>, args: &UnlockArgs) -> Result {
        let cancel = args.flags & lkf::CANCEL != 0;
        let lr = self.find(args.lkid)?;
        let done = lr.resource.with(|r| -> Result {
            let i = lr.slot;
            if !r.is_owned(i, args.lkid, self) {
                return Err(ENOENT);
            }
            let l = r.lk_mut(i).ok_or(ENOENT)?;
            if !cancel {
                if let Some(b) = l.lvb.as_mut() {
                    **b = args.lvb;
                }
            }
            if args.cast_param != 0 {
                l.cookies.cast_param = args.cast_param;
            }
            l.cookies.lksb = args.lksb;
            check_unlock_flags(args.flags)?;

            if cancel {
                if cancel_locked(r, i, args.flags, false)? {
                    self.lockspace().end_of_life(args.lkid);
                }
                return Ok(());
            }
            note_unlock_flags(r, i, args.flags);
            r.do_unlock(i);
            r.remove(i);
            self.lockspace().end_of_life(args.lkid);
            Ok(())
        });
        let (result, park) = done.ok_or(ENOENT)?;
        self.lockspace().park_if(&lr.resource, park);
        result
    }

    /// Runs the deadlock command (`dlm_user_deadlock`): a cancel whose completion says
    /// `-EDEADLK`. It changes no cookie. Without `CANCEL` in `flags`, on a lock with nothing
    /// pending, it only leaves the mark that turns the lock's next cancel into `-EDEADLK`.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    /// - `EINVAL` for bad flags, see [`check_unlock_flags`], or with `CANCEL` in `flags`
    ///   while a cancel is already recorded (see [`cancel_locked`]).
    pub(crate) fn deadlock(self: &Arc<Self>, lkid: u32, flags: u32) -> Result {
        let lr = self.find(lkid)?;
        let done = lr.resource.with(|r| -> Result {
            if !r.is_owned(lr.slot, lkid, self) {
                return Err(ENOENT);
            }
            check_unlock_flags(flags)?;
            if cancel_locked(r, lr.slot, flags, true)? {
                self.lockspace().end_of_life(lkid);
            }
            Ok(())
        });
        let (result, park) = done.ok_or(ENOENT)?;
        self.lockspace().park_if(&lr.resource, park);
        result
    }

    /// Runs a purge (`dlm_user_purge`, local node): if `pid` is `caller` (the calling
    /// thread's id), every lock of this owner is force-unlocked with `IVVALBLK` and its
    /// queued callbacks are dropped; otherwise every orphan whose owner pid is `pid` (every
    /// orphan if `pid` is 0) is force-unlocked. Waiters are granted afterwards.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for a per-lockspace cap or remote purges.
    pub(crate) fn purge(self: &Arc<Self>, pid: u32, caller: u32) -> Result {
        if pid == caller {
            self.take_locks(|lkid, lr| self.force_unlock_own(lkid, lr));
            self.clear_callbacks(false);
        } else {
            self.lockspace().purge_orphans(pid);
        }
        Ok(())
    }

    /// Force-unlocks this owner's lock `lkid`, found at `lr`, with no callback for it.
    fn force_unlock_own(self: &Arc<Self>, lkid: u32, lr: &Location) {
        let done = lr.resource.with(|r| {
            if r.is_owned(lr.slot, lkid, self) {
                force_unlock_locked(r, lr.slot);
                self.lockspace().end_of_life(lkid);
            }
        });
        if let Some(((), park)) = done {
            self.lockspace().park_if(&lr.resource, park);
        }
    }

    /// Closes the owner (`dlm_clear_proc_locks`), when the file is released.
    ///
    /// Queued callbacks are dropped and no more are queued or read. Then, in the order the
    /// owner got them, each lock flagged `PERSISTENT` by its last lock or convert becomes an
    /// orphan, its pending request or conversion cancelled without a callback (a waiting
    /// request leaves an empty orphan entry until purged); every other lock is
    /// force-unlocked with `IVVALBLK`. Waiters are granted as locks go.
    pub(crate) fn close(self: &Arc<Self>) {
        self.clear_callbacks(true);
        self.take_locks(|lkid, lr| self.close_lock(lkid, lr));
    }

    /// Orphans or force-unlocks this owner's lock `lkid`, found at `lr`, at close time.
    fn close_lock(self: &Arc<Self>, lkid: u32, lr: &Location) {
        let ls = self.lockspace();
        let done = lr.resource.with(|r| {
            let i = lr.slot;
            if !r.is_owned(i, lkid, self) {
                return Closed::Gone;
            }
            if r.lk(i).exflags & lkf::PERSISTENT == 0 {
                force_unlock_locked(r, i);
                ls.end_of_life(lkid);
                return Closed::Unlocked;
            }
            if let Some(l) = r.lk_mut(i) {
                l.owner = None;
                l.sbflags = 0;
            }
            r.do_cancel(i);
            let l = r.lk(i);
            Closed::Orphaned(l.grmode, l.pid)
        });
        let Some((closed, park)) = done else {
            return;
        };
        ls.park_if(&lr.resource, park);
        match closed {
            Closed::Unlocked | Closed::Gone => {}
            Closed::Orphaned(mode, pid) => {
                let orphan = Orphan {
                    lkid,
                    resource: lr.resource.clone(),
                    slot: lr.slot,
                    mode,
                    pid,
                };
                if let Err(orphan) = ls.add_orphan(orphan) {
                    // No memory for the orphan list: unlock rather than lose the lock.
                    ls.force_unlock_orphan(&orphan);
                }
            }
        }
    }
}

/// KUnit tests (suite `rdlm_ops`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_ops)]
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
            lvb,
            space,
            Ev,
            Fake, //
        }, //
    };

    /// Row 47: every argument `fs/dlm` refuses on a lock command gives `EINVAL`, plus
    /// `FORCEUNLOCK` (rdlm), and no lock id is used up.
    #[test]
    fn row47_lock_einval_list() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let c = a.cookies();
        let z = lvb(0);
        let bad: [(u8, u32, usize); 14] = [
            (6, 0, 1),
            (255, 0, 1),
            (0, 0, 65),
            (0, CANCEL, 1),
            (1, QUECVT, 1),
            (1, CONVDEADLK, 1),
            (0, EXPEDITE | QUECVT, 1),
            (0, EXPEDITE | NOQUEUE, 1),
            (1, EXPEDITE, 1),
            (5, EXPEDITE, 1),
            (0, FORCEUNLOCK, 1),
            (0, ORPHAN | FORCEUNLOCK, 1),
            (3, CANCEL | NOQUEUE, 1),
            (3, QUECVT | CONVDEADLK, 1),
        ];
        let name = [b'n'; 65];
        let mut wrong = 0;
        for (mode, flags, len) in bad {
            let n = name.get(..len).ok_or(EINVAL)?;
            if a.lock_raw(n, mode, flags, 0, z, c) != Err(EINVAL) {
                pr_err!(
                    "mode {} flags {:#x} len {} was accepted\n",
                    mode,
                    flags,
                    len
                );
                wrong += 1;
            }
        }
        assert_eq!(wrong, 0);
        let no_cast = Cookies { cast_addr: 0, ..c };
        let no_lksb = Cookies { lksb: 0, ..c };
        assert_eq!(a.lock_raw(b"r", 0, 0, 0, z, no_cast), Err(EINVAL));
        assert_eq!(a.lock_raw(b"r", 0, 0, 0, z, no_lksb), Err(EINVAL));

        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        assert_eq!(l1, 1);
        let conv_bad: [(u8, u32); 6] = [
            (6, 0),
            (0, EXPEDITE),
            (3, CONVDEADLK | NOQUEUE),
            (0, CANCEL),
            (0, FORCEUNLOCK),
            (0, EXPEDITE | QUECVT),
        ];
        for (mode, flags) in conv_bad {
            if a.lock_raw(b"", mode, flags | CONVERT, l1, z, c) != Err(EINVAL) {
                pr_err!("convert mode {} flags {:#x} was accepted\n", mode, flags);
                wrong += 1;
            }
        }
        assert_eq!(wrong, 0);
        assert!(a.granted(l1, Mode::Pr));
        assert!(a.received(&[cast(l1, Status::Granted)]));
        assert_eq!(ls.lock_count(), 1);
        Ok(())
    }

    /// Row 47: an unlock accepts only `CANCEL`, `VALBLK`, `IVVALBLK` and `FORCEUNLOCK`, and
    /// not `CANCEL` with `FORCEUNLOCK`.
    #[test]
    fn row47_unlock_flags() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        for flags in [
            NOQUEUE,
            PERSISTENT,
            CONVERT,
            CANCEL | FORCEUNLOCK,
            TIMEOUT,
            0x8000_0000,
        ] {
            assert_eq!(a.unlock_flags(l1, flags), Err(EINVAL));
        }
        assert_eq!(a.o.deadlock(l1, NOQUEUE), Err(EINVAL));
        assert!(a.granted(l1, Mode::Pr));
        a.unlock_flags(l1, VALBLK | IVVALBLK | FORCEUNLOCK)?;
        assert_eq!(ls.lock_count(), 0);
        Ok(())
    }

    /// Row 47: a convert looks the lock up before checking its arguments.
    #[test]
    fn row47_convert_lookup_comes_first() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let c = a.cookies();
        assert_eq!(a.lock_raw(b"", 9, CONVERT, 5, lvb(0), c), Err(ENOENT));
        assert_eq!(a.lock_raw(b"", 9, CONVERT, 0, lvb(0), c), Err(ENOENT));
        Ok(())
    }

    /// Row 47: a convert of a lock that is waiting or converting fails with `EBUSY`, and the
    /// `EBUSY` check comes before the QUECVT pair check.
    #[test]
    fn row47_convert_busy() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        assert_eq!(b.convert(l2, Mode::Nl, 0), Err(EBUSY));
        let l3 = b.lock(b"s", Mode::Pr, 0)?;
        let _l4 = a.lock(b"s", Mode::Pr, 0)?;
        a.convert(l1, Mode::Pr, 0)?;
        b.convert(l3, Mode::Ex, 0)?;
        assert_eq!(b.convert(l3, Mode::Nl, QUECVT), Err(EBUSY));
        Ok(())
    }

    /// Row 48: `TIMEOUT` and `NODLCKBLK` are accepted and change nothing; the xid is stored.
    #[test]
    fn row48_ignored_flags_and_xid() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, TIMEOUT | NODLCKBLK)?;
        let l2 = b.lock(b"r", Mode::Ex, TIMEOUT)?;
        assert!(a.granted(l1, Mode::Ex) && b.waiting(l2, Mode::Ex));
        assert_eq!(a.info(l1).ok_or(ENOENT)?.xid, 1);
        let args = LockArgs {
            mode: Mode::Pr.as_raw(),
            flags: CONVERT | TIMEOUT,
            lkid: l1,
            xid: 0xabcd,
            cookies: a.cookies(),
            lvb: lvb(0),
            name: b"",
            pid: 4242,
            limits: crate::manager::Limits::NONE,
        };
        a.o.lock(&args)?;
        let info = a.info(l1).ok_or(ENOENT)?;
        assert_eq!(info.xid, 0xabcd);
        assert_eq!(info.pid, 4242);
        assert_eq!(info.gr, Some(Mode::Pr));
        Ok(())
    }

    /// Row 50: after an unlock, a cancelled request or a failed `NOQUEUE` request, every
    /// operation on the id fails with `ENOENT`; a cancelled conversion or a failed `NOQUEUE`
    /// conversion leaves a live lock.
    #[test]
    fn row50_end_of_life() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        b.cancel(l2)?;
        let l3 = b.lock(b"r", Mode::Ex, NOQUEUE)?;
        a.unlock(l1)?;
        for dead in [l1, l2, l3] {
            let owner = if dead == l1 { &a } else { &b };
            assert_eq!(owner.unlock(dead), Err(ENOENT));
            assert_eq!(owner.cancel(dead), Err(ENOENT));
            assert_eq!(owner.convert(dead, Mode::Nl, 0), Err(ENOENT));
            assert_eq!(owner.o.deadlock(dead, 0), Err(ENOENT));
        }

        let l4 = a.lock(b"s", Mode::Pr, 0)?;
        let l5 = b.lock(b"s", Mode::Pr, 0)?;
        b.convert(l5, Mode::Ex, 0)?;
        b.cancel(l5)?;
        a.convert(l4, Mode::Ex, NOQUEUE)?;
        a.take();
        b.take();
        b.convert(l5, Mode::Nl, 0)?;
        a.convert(l4, Mode::Ex, 0)?;
        assert!(a.received(&[cast(l4, Status::Granted)]));
        assert!(b.received(&[cast(l5, Status::Granted)]));
        Ok(())
    }

    /// A convert replaces the cookies before checking anything, even when it then fails
    /// with `EINVAL` or `EBUSY` (Appendix B, item 1).
    #[test]
    fn failing_convert_replaces_cookies() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let new = Cookies {
            cast_addr: 0x1000,
            cast_param: 0x1001,
            bast_addr: 0x1002,
            bast_param: 0x1003,
            lksb: 0x1004,
        };
        assert_eq!(a.lock_raw(b"", 9, CONVERT, l1, lvb(0), new), Err(EINVAL));
        assert_eq!(a.info(l1).ok_or(ENOENT)?.cookies, new);

        let _l2 = a.lock(b"s", Mode::Ex, 0)?;
        let l3 = b.lock(b"s", Mode::Ex, 0)?;
        assert_eq!(b.lock_raw(b"", 0, CONVERT, l3, lvb(0), new), Err(EBUSY));
        assert_eq!(b.info(l3).ok_or(ENOENT)?.cookies, new);
        a.take();
        a.unlock_raw(l1, 0, 0, 0x2000, lvb(0))?;
        let got = a.take();
        let first = got.first().ok_or(ENOENT)?;
        assert_eq!(first.user_addr(), 0x1000);
        assert_eq!(first.user_param(), 0x1001);
        assert_eq!(first.cookies.lksb, 0x2000);
        Ok(())
    }

    /// An unlock or cancel replaces `cast_param` only if the new one is non-zero and always
    /// replaces `lksb`; the deadlock command replaces nothing.
    #[test]
    fn unlock_cookie_rules() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let c = a.cookies();
        let _l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        b.o.deadlock(l2, CANCEL | VALBLK)?;
        let got = b.take();
        assert_eq!(got.len(), 1);
        let cb = got.first().ok_or(ENOENT)?;
        assert_eq!(cb.cookies, b.cookies());
        assert_eq!(cb.status(), Status::Deadlock.as_errno());

        let l3 = a.lock(b"s", Mode::Pr, 0)?;
        a.take();
        a.unlock_raw(l3, 0, 0, 0x77, lvb(0))?;
        let got = a.take();
        let cb = got.first().ok_or(ENOENT)?;
        assert_eq!(cb.cookies.cast_param, c.cast_param);
        assert_eq!(cb.cookies.lksb, 0x77);
        assert_eq!(cb.cookies.cast_addr, c.cast_addr);

        let l4 = a.lock(b"s", Mode::Pr, 0)?;
        let l5 = b.lock(b"s", Mode::Ex, 0)?;
        b.take();
        b.unlock_raw(l5, CANCEL, 0x55, 0x66, lvb(0))?;
        let got = b.take();
        let cb = got.first().ok_or(ENOENT)?;
        assert_eq!(cb.cookies.cast_param, 0x55);
        assert_eq!(cb.cookies.lksb, 0x66);
        assert_eq!(cb.status(), Status::Cancel.as_errno());
        a.unlock(l4)?;
        Ok(())
    }

    /// Cancel of a lock with nothing pending does nothing and queues nothing.
    #[test]
    fn cancel_of_idle_lock_is_silent() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        a.take();
        a.cancel(l1)?;
        a.cancel(l1)?;
        assert!(a.received(&[]));
        assert!(a.granted(l1, Mode::Pr));
        Ok(())
    }

    /// A cancel after a cancelled conversion, before the next lock or convert, is `EINVAL`
    /// (as in `fs/dlm`, without its kernel warning); so is the deadlock command with
    /// `CANCEL`. A convert clears the record.
    #[test]
    fn second_cancel_is_einval() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        b.convert(l2, Mode::Ex, 0)?;
        b.cancel(l2)?;
        b.take();
        assert_eq!(b.cancel(l2), Err(EINVAL));
        assert_eq!(b.o.deadlock(l2, CANCEL), Err(EINVAL));
        b.o.deadlock(l2, 0)?;
        assert!(b.received(&[]));
        b.convert(l2, Mode::Ex, 0)?;
        b.cancel(l2)?;
        assert!(b.received(&[cast(l2, Status::Deadlock)]));
        Ok(())
    }

    /// The deadlock command cancels a waiting request (ending it) or a conversion (back to
    /// its granted mode) with `-EDEADLK`.
    #[test]
    fn deadlock_command_cancels_with_edeadlk() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        let l3 = b.lock(b"s", Mode::Pr, 0)?;
        let _l4 = a.lock(b"s", Mode::Pr, 0)?;
        b.convert(l3, Mode::Ex, 0)?;
        b.take();
        b.o.deadlock(l2, 0)?;
        b.o.deadlock(l3, 0)?;
        assert!(b.received(&[cast(l2, Status::Deadlock), cast(l3, Status::Deadlock)]));
        assert_eq!(b.unlock(l2), Err(ENOENT));
        assert!(b.granted(l3, Mode::Pr) && a.granted(l1, Mode::Pr));
        Ok(())
    }

    /// The deadlock command on a lock with nothing pending leaves a mark: the lock's next
    /// cancel completes with `-EDEADLK`. With `CANCEL` in its flags it leaves no mark.
    #[test]
    fn deadlock_mark_on_idle_lock() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        let l3 = b.lock(b"s", Mode::Pr, 0)?;
        let _l4 = a.lock(b"s", Mode::Pr, 0)?;
        b.take();
        b.o.deadlock(l2, 0)?;
        b.o.deadlock(l3, CANCEL)?;
        assert!(b.received(&[]));
        b.convert(l2, Mode::Ex, 0)?;
        b.convert(l3, Mode::Ex, 0)?;
        b.cancel(l2)?;
        b.cancel(l3)?;
        assert!(b.received(&[cast(l2, Status::Deadlock), cast(l3, Status::Cancel)]));
        b.convert(l2, Mode::Ex, 0)?;
        b.cancel(l2)?;
        assert!(b.received(&[cast(l2, Status::Cancel)]));
        Ok(())
    }

    /// A plain or forced unlock works in every state and only `-DLM_EUNLOCK` completes; the
    /// waiters behind are granted.
    #[test]
    fn unlock_in_every_state() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        for force in [0, FORCEUNLOCK] {
            let l1 = a.lock(b"r", Mode::Pr, 0)?;
            let l2 = b.lock(b"r", Mode::Pr, 0)?;
            let l3 = c.lock(b"r", Mode::Ex, 0)?;
            b.convert(l2, Mode::Ex, 0)?;
            a.take();
            b.take();
            c.take();
            c.unlock_flags(l3, force)?;
            assert!(c.received(&[cast(l3, Status::Unlock)]));
            b.unlock_flags(l2, force)?;
            assert!(b.received(&[cast(l2, Status::Unlock)]));
            a.unlock_flags(l1, force)?;
            assert!(a.received(&[cast(l1, Status::Unlock)]));
            assert_eq!(ls.lock_count(), 0);
        }
        let l4 = a.lock(b"s", Mode::Ex, 0)?;
        let l5 = b.lock(b"s", Mode::Pr, 0)?;
        a.unlock_flags(l4, FORCEUNLOCK)?;
        assert!(b.received(&[cast(l5, Status::Granted)]));
        assert!(a.received(&[
            cast(l4, Status::Granted),
            bast(l4, Mode::Pr),
            cast(l4, Status::Unlock)
        ]));
        Ok(())
    }

    /// The owner pid is the caller's thread id at the last lock, convert or adopt; a convert
    /// that fails its checks does not change it.
    #[test]
    fn owner_pid_recorded() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        assert_eq!(a.info(l1).ok_or(ENOENT)?.pid, a.pid());
        let mut args = LockArgs {
            mode: 9,
            flags: CONVERT,
            lkid: l1,
            xid: 0,
            cookies: a.cookies(),
            lvb: lvb(0),
            name: b"",
            pid: 77,
            limits: crate::manager::Limits::NONE,
        };
        assert_eq!(a.o.lock(&args), Err(EINVAL));
        assert_eq!(a.info(l1).ok_or(ENOENT)?.pid, a.pid());
        args.mode = Mode::Nl.as_raw();
        a.o.lock(&args)?;
        assert_eq!(a.info(l1).ok_or(ENOENT)?.pid, 77);
        a.unlock(l1)?;
        assert!(a.received(&[
            cast(l1, Status::Granted),
            cast(l1, Status::Granted),
            Ev::Cast(l1, Status::Unlock, 0)
        ]));
        Ok(())
    }
}
