// SPDX-License-Identifier: GPL-2.0

//! The operations an owner makes: lock (request, convert, adopt), unlock, cancel, the
//! deadlock command, purge, and close.
//!
//! Each entry point does what `fs/dlm`'s `device_user_*` and `dlm_user_*` functions do for
//! the same command, in the same order of checks, so that the same request fails with the
//! same error. Where rdlm deliberately differs, the doc comment says so.

use kernel::{
    prelude::*,
    rbtree::RBTreeNodeReservation,
    sync::Arc, //
};

use super::{
    grant::{
        Outcome,
        Revert, //
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
        LockRef,
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
/// With `CANCEL` in `flags`, a lock with nothing pending, or with a cancel already recorded
/// since its last lock or convert, is left alone. `deadlock` marks the lock so that the
/// cancel completes with `-EDEADLK`; the mark stays if nothing was cancelled.
fn cancel_locked(r: &mut ResourceInner, i: u32, flags: u32, deadlock: bool) -> bool {
    let l = r.lk(i);
    if flags & lkf::CANCEL != 0 && (l.exflags & lkf::CANCEL != 0 || l.queue == Some(Queue::Grant)) {
        return false;
    }
    note_unlock_flags(r, i, flags);
    if deadlock {
        if let Some(l) = r.lk_mut(i) {
            l.deadlock_mark = true;
        }
    }
    if r.do_cancel(i) == Revert::Removed {
        r.remove(i);
        return true;
    }
    false
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
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let ls = self.lockspace();
        let lkid = ls.ids.lock().alloc()?;

        let mut lock = Some(LockState::new_request(
            lkid,
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
        let (resource, done, empty) = loop {
            let resource = match ls.table.find_or_create(args.name) {
                Ok(r) => r,
                Err(e) => {
                    ls.ids.lock().free(lkid);
                    return Err(e);
                }
            };
            let done = resource.with(|r| -> Result<(u32, Outcome)> {
                let i = r.insert(lock.take().ok_or(EINVAL)?)?;
                let outcome = r.do_request(i);
                if outcome == Outcome::Again {
                    r.remove(i);
                }
                Ok((i, outcome))
            });
            if let Some((done, empty)) = done {
                break (resource, done, empty);
            }
            // The resource was being removed: look it up again.
        };

        match done {
            Ok((i, outcome)) if outcome != Outcome::Again => {
                self.add_lock(lkid, resource, i, reservation);
            }
            Ok(_) => ls.end_of_life(lkid, &resource, empty),
            Err(e) => {
                ls.end_of_life(lkid, &resource, empty);
                return Err(e);
            }
        }
        Ok(lkid)
    }

    /// Returns where this owner's lock `lkid` lives.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    fn find(&self, lkid: u32) -> Result<LockRef> {
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
        done.map_or(Err(ENOENT), |(result, _)| result)
    }

    /// Adopts an orphan (`dlm_user_adopt_orphan`): the first orphan created with exactly
    /// this name and granted `args.mode` becomes this owner's, with the caller's cookies, xid,
    /// pid and flags. No callback follows.
    fn adopt(self: &Arc<Self>, args: &LockArgs<'_>) -> Result<u32> {
        if args.flags & lkf::FORCEUNLOCK != 0 {
            return Err(EINVAL);
        }
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let o = self.lockspace().take_orphan(args.name, args.mode)?;
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
            true
        });
        if !matches!(done, Some((true, _))) {
            return Err(ENOENT);
        }
        self.add_lock(o.lkid, o.resource, o.slot, reservation);
        Ok(o.lkid)
    }

    /// Runs an unlock command (`device_user_unlock`): a cancel with `CANCEL`, else an unlock.
    ///
    /// An unlock completes with `-DLM_EUNLOCK` and ends the lock's life, whatever its state
    /// (granted, converting or waiting); the pending operation gets no completion of its
    /// own. `FORCEUNLOCK` behaves as a plain unlock, as it does for local locks in `fs/dlm`.
    /// A cancel completes with `-DLM_ECANCEL`; cancelling a lock with nothing pending does
    /// nothing.
    ///
    /// Before any check of the flags, an unlock copies the request's `lvb` into the lock's
    /// block (if it has one); both replace `cast_param` if the new one is non-zero, and
    /// `lksb` always.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    /// - `EINVAL` for bad flags, see [`check_unlock_flags`].
    pub(crate) fn unlock(self: &Arc<Self>, args: &UnlockArgs) -> Result {
        let cancel = args.flags & lkf::CANCEL != 0;
        let lr = self.find(args.lkid)?;
        let done = lr.resource.with(|r| -> Result<bool> {
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
                return Ok(cancel_locked(r, i, args.flags, false));
            }
            note_unlock_flags(r, i, args.flags);
            r.do_unlock(i);
            r.remove(i);
            Ok(true)
        });
        let (ended, empty) = match done {
            Some((result, empty)) => (result?, empty),
            None => return Err(ENOENT),
        };
        if ended {
            self.forget_lock(args.lkid);
            self.lockspace().end_of_life(args.lkid, &lr.resource, empty);
        }
        Ok(())
    }

    /// Runs the deadlock command (`dlm_user_deadlock`): a cancel whose completion says
    /// `-EDEADLK`. It changes no cookie. Without `CANCEL` in `flags`, on a lock with nothing
    /// pending, it only leaves the mark that turns the lock's next cancel into `-EDEADLK`.
    ///
    /// # Errors
    ///
    /// - `ENOENT` if this owner holds no lock `lkid`.
    /// - `EINVAL` for bad flags, see [`check_unlock_flags`].
    pub(crate) fn deadlock(self: &Arc<Self>, lkid: u32, flags: u32) -> Result {
        let lr = self.find(lkid)?;
        let done = lr.resource.with(|r| -> Result<bool> {
            if !r.is_owned(lr.slot, lkid, self) {
                return Err(ENOENT);
            }
            check_unlock_flags(flags)?;
            Ok(cancel_locked(r, lr.slot, flags, true))
        });
        let (ended, empty) = match done {
            Some((result, empty)) => (result?, empty),
            None => return Err(ENOENT),
        };
        if ended {
            self.forget_lock(lkid);
            self.lockspace().end_of_life(lkid, &lr.resource, empty);
        }
        Ok(())
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
    fn force_unlock_own(self: &Arc<Self>, lkid: u32, lr: &LockRef) {
        let done = lr.resource.with(|r| {
            if !r.is_owned(lr.slot, lkid, self) {
                return false;
            }
            force_unlock_locked(r, lr.slot);
            true
        });
        if let Some((true, empty)) = done {
            self.lockspace().end_of_life(lkid, &lr.resource, empty);
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
    fn close_lock(self: &Arc<Self>, lkid: u32, lr: &LockRef) {
        let ls = self.lockspace();
        let done = lr.resource.with(|r| {
            let i = lr.slot;
            if !r.is_owned(i, lkid, self) {
                return Closed::Gone;
            }
            if r.lk(i).exflags & lkf::PERSISTENT == 0 {
                force_unlock_locked(r, i);
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
        match done {
            Some((Closed::Unlocked, empty)) => ls.end_of_life(lkid, &lr.resource, empty),
            Some((Closed::Orphaned(mode, pid), _)) => {
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
            Some((Closed::Gone, _)) | None => {}
        }
    }
}
