// SPDX-License-Identifier: GPL-2.0

//! The lock rules of one resource: grant decisions, queueing, conversion deadlocks,
//! blocking callbacks, value-block transfers and the callbacks each decision produces.
//!
//! Everything here is a method of [`ResourceInner`], so it runs under `Resource::inner`.
//! The names follow the steps of `fs/dlm/lock.c` (request, convert, unlock and cancel, the
//! "can be granted" test and the re-grant pass) so that the two can be compared rule by
//! rule; `Documentation/rdlm/core.rst` lists the rules and the tests that prove them.

use super::{
    mode::{
        compatible,
        lkf,
        sbf,
        Mode,
        Status, //
    },
    resource::{
        Queue,
        ResourceInner,
        NIL, //
    }, //
};

/// What happened to a request or conversion when it was submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Granted at once; a completion was queued.
    Granted,
    /// Queued; the completion comes later.
    Queued,
    /// Not grantable and `NOQUEUE`: failed with `-EAGAIN`.
    Again,
    /// Conversion deadlock: refused with `-EDEADLK`, the lock keeps its mode.
    Deadlock,
}

/// What cancelling a lock's pending operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Revert {
    /// Nothing was pending.
    Nothing,
    /// A conversion was dropped; the lock is back on the grant queue at its granted mode.
    Granted,
    /// A waiting request was dropped; the lock has no mode any more.
    Removed,
}

impl ResourceInner {
    /// Returns whether lock `i`'s flags include all of `flags`.
    pub(super) fn has_flags(&self, i: u32, flags: u32) -> bool {
        self.lk(i).exflags & flags == flags
    }

    /// Returns whether lock `i` was demoted to NL by `CONVDEADLK` in this operation.
    pub(super) fn is_demoted(&self, i: u32) -> bool {
        self.lk(i).sbflags & sbf::DEMOTED != 0
    }

    /// Returns whether another lock on queue `q` holds a mode that conflicts with the mode
    /// lock `i` requests.
    fn queue_conflict(&self, q: Queue, i: u32) -> bool {
        let rq = self.lk(i).rqmode;
        self.iter(q)
            .any(|j| j != i && !compatible(self.lk(j).grmode, rq))
    }

    /// Returns whether converting lock `i` would deadlock with the convert queue: a lock
    /// ahead of it wants a mode `i`'s granted mode blocks, or a lock behind it and `i` block
    /// each other.
    fn conversion_deadlock(&self, i: u32) -> bool {
        let me = self.lk(i);
        let mut ahead_of_me = true;
        for j in self.iter(Queue::Convert) {
            if j == i {
                ahead_of_me = false;
                continue;
            }
            let other = self.lk(j);
            let blocks_other = !compatible(me.grmode, other.rqmode);
            if ahead_of_me && blocks_other {
                return true;
            }
            if !ahead_of_me && blocks_other && !compatible(other.grmode, me.rqmode) {
                return true;
            }
        }
        false
    }

    /// The grant test without its side effects (`_can_be_granted`): whether lock `i` can be
    /// granted its requested mode, `now` (at submission) or later (when re-checked).
    pub(super) fn can_grant_plain(&self, i: u32, now: bool) -> bool {
        let l = self.lk(i);
        let conversion = l.grmode.is_some();

        if l.exflags & lkf::EXPEDITE != 0 {
            return true;
        }
        if self.queue_conflict(Queue::Grant, i) || self.queue_conflict(Queue::Convert, i) {
            return false;
        }
        if now && conversion {
            // In place, ahead of every waiter; with QUECVT only behind an empty queue.
            return l.exflags & lkf::QUECVT == 0 || self.is_empty(Queue::Convert);
        }
        if l.exflags & lkf::NOORDER != 0 {
            return true;
        }
        if conversion {
            return self.first(Queue::Convert) == i;
        }
        if !self.is_empty(Queue::Convert) {
            return false;
        }
        if now {
            self.is_empty(Queue::Wait)
        } else {
            self.first(Queue::Wait) == i
        }
    }

    /// The full grant test (`can_be_granted`): the plain test, then conversion-deadlock
    /// handling, then the alternate mode.
    ///
    /// A `CONVDEADLK` conversion in deadlock is demoted to NL here (and not granted). Any
    /// other conversion in deadlock sets `*deadlock` when the caller passes it.
    pub(super) fn can_grant(&mut self, i: u32, now: bool, deadlock: Option<&mut bool>) -> bool {
        if self.can_grant_plain(i, now) {
            return true;
        }

        let l = self.lk(i);
        let rqmode = l.rqmode;
        let exflags = l.exflags;
        if l.grmode.is_some() && exflags & lkf::NOQUEUE == 0 && self.conversion_deadlock(i) {
            if exflags & lkf::CONVDEADLK != 0 {
                if let Some(l) = self.lk_mut(i) {
                    l.grmode = Some(Mode::Nl);
                    l.sbflags |= sbf::DEMOTED;
                }
            } else if let Some(d) = deadlock {
                *d = true;
            }
            return false;
        }

        let alt = if rqmode != Some(Mode::Pr) && exflags & lkf::ALTPR != 0 {
            Mode::Pr
        } else if rqmode != Some(Mode::Cw) && exflags & lkf::ALTCW != 0 {
            Mode::Cw
        } else {
            return false;
        };
        self.set_rqmode(i, Some(alt));
        if self.can_grant_plain(i, now) {
            if let Some(l) = self.lk_mut(i) {
                l.sbflags |= sbf::ALTMODE;
            }
            return true;
        }
        self.set_rqmode(i, rqmode);
        false
    }

    /// Sets lock `i`'s requested mode.
    fn set_rqmode(&mut self, i: u32, mode: Option<Mode>) {
        if let Some(l) = self.lk_mut(i) {
            l.rqmode = mode;
        }
    }

    /// Puts lock `i` (on no queue) on queue `q`: at the tail, or the head with `HEADQUE`; on
    /// the grant queue, before the first lock whose requested mode is below `i`'s granted
    /// mode, which in practice is the head (`lkb_add_ordered`).
    fn add_to_queue(&mut self, q: Queue, i: u32) {
        match q {
            Queue::Wait | Queue::Convert if self.has_flags(i, lkf::HEADQUE) => self.link_head(q, i),
            Queue::Wait | Queue::Convert => self.link_tail(q, i),
            Queue::Grant => {
                let mode = self.lk(i).grmode;
                let at = self.iter(Queue::Grant).find(|&j| self.lk(j).rqmode < mode);
                match at {
                    Some(at) => self.link_before(Queue::Grant, at, i),
                    None => self.link_tail(Queue::Grant, i),
                }
            }
        }
    }

    /// Moves lock `i` to queue `q`.
    fn move_to_queue(&mut self, q: Queue, i: u32) {
        self.unlink(i);
        self.add_to_queue(q, i);
    }

    /// Grants lock `i` its requested mode: value-block transfer, then the mode and the grant
    /// queue; the blocking-callback mark restarts.
    fn grant_lock(&mut self, i: u32) {
        self.set_lvb_lock(i);

        let l = self.lk(i);
        let (grmode, rqmode, queue) = (l.grmode, l.rqmode, l.queue);
        // fs/dlm leaves a queued conversion granted in its alternate mode, which equals its
        // granted mode, on the convert queue; rdlm moves it to the grant queue.
        if grmode != rqmode || queue == Some(Queue::Convert) {
            if let Some(l) = self.lk_mut(i) {
                l.grmode = rqmode;
            }
            self.move_to_queue(Queue::Grant, i);
        }
        if let Some(l) = self.lk_mut(i) {
            l.rqmode = None;
            l.highbast = Mode::Nl;
        }
    }

    /// Drops lock `i`'s pending request or conversion (`revert_lock`).
    pub(crate) fn revert_lock(&mut self, i: u32) -> Revert {
        self.set_rqmode(i, None);
        match self.lk(i).queue {
            Some(Queue::Convert) => {
                self.move_to_queue(Queue::Grant, i);
                Revert::Granted
            }
            Some(Queue::Wait) => {
                self.unlink(i);
                if let Some(l) = self.lk_mut(i) {
                    l.grmode = None;
                }
                Revert::Removed
            }
            Some(Queue::Grant) | None => Revert::Nothing,
        }
    }

    /// Grants what it can on the convert queue, restarting after each pass that granted
    /// something (`grant_pending_convert`).
    ///
    /// Returns the highest mode still wanted by a blocked conversion (or `high` if higher),
    /// and sets `*cw` if a blocked conversion wants CW.
    fn grant_pending_convert(&mut self, high: Option<Mode>, cw: &mut bool) -> Option<Mode> {
        let mut quit = false;
        loop {
            let mut grant_restart = false;
            let mut demote_restart = false;
            let mut hi = None;
            let mut i = self.first(Queue::Convert);
            while i != NIL {
                let next = self.next_of(i);
                let demoted = self.is_demoted(i);
                let mut deadlock = false;

                if self.can_grant(i, false, Some(&mut deadlock)) {
                    self.grant_lock(i);
                    self.queue_cast(i, Status::Granted);
                    grant_restart = true;
                } else if !demoted && self.is_demoted(i) {
                    demote_restart = true;
                } else if deadlock {
                    self.deadlocked_in_queue(i);
                } else {
                    let rq = self.lk(i).rqmode;
                    hi = hi.max(rq);
                    if rq == Some(Mode::Cw) {
                        *cw = true;
                    }
                }
                i = next;
            }
            if grant_restart {
                continue;
            }
            if demote_restart && !quit {
                quit = true;
                continue;
            }
            return high.max(hi);
        }
    }

    /// Grants, in order, what it can on the wait queue, in one pass (`grant_pending_wait`).
    fn grant_pending_wait(&mut self, high: Option<Mode>, cw: &mut bool) -> Option<Mode> {
        let mut high = high;
        let mut i = self.first(Queue::Wait);
        while i != NIL {
            let next = self.next_of(i);
            if self.can_grant(i, false, None) {
                self.grant_lock(i);
                self.queue_cast(i, Status::Granted);
            } else {
                let rq = self.lk(i).rqmode;
                high = high.max(rq);
                if rq == Some(Mode::Cw) {
                    *cw = true;
                }
            }
            i = next;
        }
        high
    }

    /// Grants whatever the last change allows, then tells the holders about what is still
    /// blocked (`grant_pending_locks`).
    pub(crate) fn grant_pending(&mut self) {
        let mut cw = false;
        let high = self.grant_pending_convert(None, &mut cw);
        let Some(high) = self.grant_pending_wait(high, &mut cw) else {
            return;
        };

        let mut g = self.first(Queue::Grant);
        while g != NIL {
            let next = self.next_of(g);
            if self.granted_needs_bast(g, high, cw) {
                let mode = if cw && high == Mode::Pr && self.lk(g).grmode == Some(Mode::Pr) {
                    Mode::Cw
                } else {
                    high
                };
                self.queue_bast(g, mode);
                if let Some(l) = self.lk_mut(g) {
                    l.highbast = high;
                }
            }
            g = next;
        }
    }

    /// Submits new request `i` (on no queue, with its requested mode set): grant, queue or
    /// fail (`do_request` and its effects).
    pub(crate) fn do_request(&mut self, i: u32) -> Outcome {
        if self.can_grant(i, true, None) {
            self.grant_lock(i);
            self.queue_cast(i, Status::Granted);
            return Outcome::Granted;
        }
        if !self.has_flags(i, lkf::NOQUEUE) {
            self.add_to_queue(Queue::Wait, i);
            self.send_basts(Queue::Grant, i);
            return Outcome::Queued;
        }
        self.queue_cast(i, Status::Again);
        self.noqueue_basts(i);
        Outcome::Again
    }

    /// After a `NOQUEUE` failure of lock `i`: with `NOQUEUEBAST`, blocking callbacks to the
    /// granted and converting holders.
    fn noqueue_basts(&mut self, i: u32) {
        if self.has_flags(i, lkf::NOQUEUEBAST) {
            self.send_basts(Queue::Grant, i);
            self.send_basts(Queue::Convert, i);
        }
    }

    /// Submits a conversion of granted lock `i` (requested mode set): grant in place, refuse
    /// on deadlock, demote, queue or fail (`do_convert` and its effects).
    pub(crate) fn do_convert(&mut self, i: u32) -> Outcome {
        let mut deadlock = false;
        if self.can_grant(i, true, Some(&mut deadlock)) {
            return self.grant_conversion_now(i);
        }

        if deadlock && !self.has_flags(i, lkf::NODLCKWT) {
            self.revert_lock(i);
            self.queue_cast(i, Status::Deadlock);
            return Outcome::Deadlock;
        }

        // Demoted to NL: other conversions may now go first, and then maybe this one.
        if self.is_demoted(i) {
            let mut unused_cw = false;
            self.grant_pending_convert(None, &mut unused_cw);
            if self.can_grant_plain(i, true) {
                return self.grant_conversion_now(i);
            }
        }

        if !self.has_flags(i, lkf::NOQUEUE) {
            self.move_to_queue(Queue::Convert, i);
            self.send_basts(Queue::Grant, i);
            return Outcome::Queued;
        }
        self.queue_cast(i, Status::Again);
        self.noqueue_basts(i);
        Outcome::Again
    }

    /// Grants conversion `i` at submission, then whatever that allows.
    fn grant_conversion_now(&mut self, i: u32) -> Outcome {
        self.grant_lock(i);
        self.queue_cast(i, Status::Granted);
        self.grant_pending();
        Outcome::Granted
    }

    /// Unlocks lock `i`, whatever its state (`do_unlock` and its effects): value-block write
    /// from PW/EX, off its queue, `-DLM_EUNLOCK`, then re-grant. The caller frees the slot.
    pub(crate) fn do_unlock(&mut self, i: u32) {
        self.set_lvb_unlock(i);
        self.unlink(i);
        if let Some(l) = self.lk_mut(i) {
            l.grmode = None;
        }
        self.queue_cast(i, Status::Unlock);
        self.grant_pending();
    }

    /// Cancels lock `i`'s pending request or conversion (`do_cancel` and its effects).
    pub(crate) fn do_cancel(&mut self, i: u32) -> Revert {
        let revert = self.revert_lock(i);
        if revert != Revert::Nothing {
            self.queue_cast(i, Status::Cancel);
            self.grant_pending();
        }
        revert
    }
}

/// KUnit tests (suite `rdlm_grant`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_grant)]
mod tests {
    use super::*;
    use crate::manager::{
        mode::lkf::*,
        resource::LockState,
        testing::{
            bast,
            cast,
            space,
            Ev,
            Fake, //
        }, //
    };
    use kernel::prelude::*;

    /// Every mode.
    const MODES: [Mode; 6] = [Mode::Nl, Mode::Cr, Mode::Cw, Mode::Pr, Mode::Pw, Mode::Ex];

    /// Row 29: a new request is granted exactly when its mode is compatible with the holder's.
    #[test]
    fn row29_matrix_decides_grants() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let b = Fake::new(&ls, 2)?;
        let mut wrong = 0;
        for h in MODES {
            for r in MODES {
                let name = [h.as_raw(), r.as_raw()];
                let la = a.lock(&name, h, 0)?;
                let lb = b.lock(&name, r, NOQUEUE)?;
                let want = if compatible(Some(h), Some(r)) {
                    Status::Granted
                } else {
                    Status::Again
                };
                if !b.received(&[cast(lb, want)]) || !a.received(&[cast(la, Status::Granted)]) {
                    wrong += 1;
                }
                a.unlock(la)?;
                if want == Status::Granted {
                    b.unlock(lb)?;
                }
                a.take();
                b.take();
            }
        }
        assert_eq!(wrong, 0);
        assert_eq!(ls.lock_count(), 0);
        assert_eq!(ls.resource_count(), 0);
        Ok(())
    }

    /// Row 30: waiters are granted in order; compatible waiters at the head go together.
    #[test]
    fn row30_fifo_grant() -> Result {
        let ls = space()?;
        let (a, b, c, d) = (
            Fake::new(&ls, 1)?,
            Fake::new(&ls, 2)?,
            Fake::new(&ls, 3)?,
            Fake::new(&ls, 4)?,
        );
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        let l3 = c.lock(b"r", Mode::Pr, 0)?;
        let l4 = d.lock(b"r", Mode::Ex, 0)?;
        assert!(a.received(&[
            cast(l1, Status::Granted),
            bast(l1, Mode::Pr),
            bast(l1, Mode::Ex)
        ]));
        assert!(b.waiting(l2, Mode::Pr) && c.waiting(l3, Mode::Pr) && d.waiting(l4, Mode::Ex));

        a.unlock(l1)?;
        assert!(a.received(&[cast(l1, Status::Unlock)]));
        assert!(b.received(&[cast(l2, Status::Granted), bast(l2, Mode::Ex)]));
        assert!(c.received(&[cast(l3, Status::Granted), bast(l3, Mode::Ex)]));
        assert!(d.received(&[]));
        assert!(b.granted(l2, Mode::Pr) && c.granted(l3, Mode::Pr) && d.waiting(l4, Mode::Ex));
        Ok(())
    }

    /// Row 30: a new request queues behind a non-empty wait queue even when compatible.
    #[test]
    fn row30_new_request_queues_behind_waiters() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        let l3 = c.lock(b"r", Mode::Pr, 0)?;
        assert!(b.waiting(l2, Mode::Ex));
        assert!(c.waiting(l3, Mode::Pr));
        assert!(c.received(&[]));
        Ok(())
    }

    /// Row 30: a conversion compatible with the holders is granted in place, ahead of the
    /// waiters, and draws a blocking callback at once if a waiter conflicts with it.
    #[test]
    fn row30_in_place_conversion_overtakes_waiters() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Cr, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        a.take();
        a.convert(l1, Mode::Pr, 0)?;
        assert!(a.granted(l1, Mode::Pr));
        assert!(a.received(&[cast(l1, Status::Granted), bast(l1, Mode::Ex)]));
        assert!(b.waiting(l2, Mode::Ex));
        Ok(())
    }

    /// Row 30: a queued conversion is granted only when first on the convert queue.
    #[test]
    fn row30_queued_conversion_waits_for_first() -> Result {
        let ls = space()?;
        let (a, b, c, d) = (
            Fake::new(&ls, 1)?,
            Fake::new(&ls, 2)?,
            Fake::new(&ls, 3)?,
            Fake::new(&ls, 4)?,
        );
        let l1 = a.lock(b"r", Mode::Nl, 0)?;
        let l2 = b.lock(b"r", Mode::Nl, 0)?;
        let l3 = c.lock(b"r", Mode::Pr, 0)?;
        let l4 = d.lock(b"r", Mode::Nl, 0)?;
        a.convert(l1, Mode::Ex, 0)?;
        b.convert(l2, Mode::Cr, QUECVT)?;
        assert!(a.converting(l1, Mode::Nl, Mode::Ex) && b.converting(l2, Mode::Nl, Mode::Cr));
        a.take();
        b.take();

        // A re-grant pass: b could be granted, but a is first.
        d.unlock(l4)?;
        assert!(b.converting(l2, Mode::Nl, Mode::Cr));
        c.unlock(l3)?;
        assert!(a.granted(l1, Mode::Ex) && b.converting(l2, Mode::Nl, Mode::Cr));
        a.unlock(l1)?;
        assert!(b.granted(l2, Mode::Cr));
        assert!(b.received(&[cast(l2, Status::Granted)]));
        Ok(())
    }

    /// Row 31: a `NOQUEUE` request that cannot be granted fails and its id dies at once.
    #[test]
    fn row31_noqueue_request_is_destroyed() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        a.take();
        let l2 = b.lock(b"r", Mode::Ex, NOQUEUE)?;
        assert_eq!(l2, 2);
        assert!(b.received(&[cast(l2, Status::Again)]));
        assert!(a.received(&[]));
        assert_eq!(b.unlock(l2), Err(ENOENT));
        assert_eq!(ls.lock_count(), 1);
        let l3 = b.lock(b"s", Mode::Ex, 0)?;
        assert_eq!(l3, 2);
        assert!(a.granted(l1, Mode::Ex));
        Ok(())
    }

    /// Row 31: a `NOQUEUE` conversion that cannot be granted fails and leaves the lock as it
    /// was (its requested mode stays recorded, as in `fs/dlm`).
    #[test]
    fn row31_noqueue_convert_leaves_lock() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        a.take();
        b.take();
        b.convert(l2, Mode::Ex, NOQUEUE)?;
        assert!(b.received(&[cast(l2, Status::Again)]));
        assert!(a.received(&[]));
        let info = b.info(l2).ok_or(ENOENT)?;
        assert_eq!(info.gr, Some(Mode::Pr));
        assert_eq!(info.queue, Some(Queue::Grant));
        assert_eq!(info.rq, Some(Mode::Ex));
        b.convert(l2, Mode::Nl, 0)?;
        assert!(b.granted(l2, Mode::Nl));
        Ok(())
    }

    /// Row 33: with `QUECVT` a compatible conversion still queues behind earlier ones.
    #[test]
    fn row33_quecvt_queues_behind_conversions() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        let l3 = c.lock(b"r", Mode::Nl, 0)?;
        a.convert(l1, Mode::Ex, 0)?;
        c.convert(l3, Mode::Cr, QUECVT)?;
        assert!(c.converting(l3, Mode::Nl, Mode::Cr));
        b.unlock(l2)?;
        assert!(a.granted(l1, Mode::Ex) && c.converting(l3, Mode::Nl, Mode::Cr));
        c.take();
        a.unlock(l1)?;
        assert!(c.received(&[cast(l3, Status::Granted)]));
        Ok(())
    }

    /// Row 33: a `QUECVT` pair outside the table is refused with `EINVAL` and changes nothing.
    #[test]
    fn row33_quecvt_bad_pair_is_einval() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        a.take();
        assert_eq!(a.convert(l1, Mode::Nl, QUECVT), Err(EINVAL));
        assert_eq!(a.convert(l1, Mode::Ex, QUECVT), Err(EINVAL));
        assert!(a.granted(l1, Mode::Ex));
        assert!(a.received(&[]));
        a.convert(l1, Mode::Nl, 0)?;
        a.convert(l1, Mode::Pr, QUECVT)?;
        assert!(a.granted(l1, Mode::Pr));
        Ok(())
    }

    /// Row 34: a conversion that would deadlock is refused with `-EDEADLK`; the lock keeps
    /// its mode and lives on.
    #[test]
    fn row34_conversion_deadlock_is_edeadlk() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        a.take();
        b.take();
        a.convert(l1, Mode::Ex, 0)?;
        assert!(b.received(&[bast(l2, Mode::Ex)]));
        b.convert(l2, Mode::Ex, 0)?;
        assert!(b.received(&[cast(l2, Status::Deadlock)]));
        assert!(b.granted(l2, Mode::Pr));
        assert!(a.converting(l1, Mode::Pr, Mode::Ex));
        b.unlock(l2)?;
        assert!(a.granted(l1, Mode::Ex));
        Ok(())
    }

    /// Row 35: with `CONVDEADLK` the converting lock drops to NL, the other conversion goes
    /// first, and the demoted one completes later with `DLM_SBF_DEMOTED`.
    #[test]
    fn row35_convdeadlk_demotes_to_nl() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        a.convert(l1, Mode::Ex, 0)?;
        a.take();
        b.take();
        b.convert(l2, Mode::Ex, CONVDEADLK)?;
        assert!(a.received(&[cast(l1, Status::Granted), bast(l1, Mode::Ex)]));
        assert!(b.received(&[]));
        assert!(b.converting(l2, Mode::Nl, Mode::Ex));
        a.unlock(l1)?;
        assert!(b.received(&[Ev::Cast(l2, Status::Granted, sbf::DEMOTED)]));
        assert!(b.granted(l2, Mode::Ex));
        Ok(())
    }

    /// Row 35: cancelling a demoted conversion leaves the lock at NL, not its old mode.
    #[test]
    fn row35_cancel_after_demotion_leaves_nl() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        a.convert(l1, Mode::Ex, 0)?;
        b.convert(l2, Mode::Ex, CONVDEADLK)?;
        b.take();
        b.cancel(l2)?;
        assert!(b.received(&[cast(l2, Status::Cancel)]));
        assert!(b.granted(l2, Mode::Nl));
        Ok(())
    }

    /// Row 36: with `NODLCKWT` a deadlocked conversion is queued, and a later pass sends the
    /// lock a blocking callback for its own requested mode.
    #[test]
    fn row36_nodlckwt_self_bast() -> Result {
        let ls = space()?;
        let (a, b, c, d) = (
            Fake::new(&ls, 1)?,
            Fake::new(&ls, 2)?,
            Fake::new(&ls, 3)?,
            Fake::new(&ls, 4)?,
        );
        let l1 = a.lock(b"r", Mode::Nl, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        let l3 = c.lock(b"r", Mode::Nl, 0)?;
        let l4 = d.lock(b"r", Mode::Cr, 0)?;
        a.convert(l1, Mode::Pw, 0)?;
        b.take();
        b.convert(l2, Mode::Ex, NODLCKWT)?;
        assert!(b.converting(l2, Mode::Pr, Mode::Ex));
        assert!(b.received(&[]));
        assert!(d.received(&[cast(l4, Status::Granted), bast(l4, Mode::Ex)]));
        c.unlock(l3)?;
        assert!(b.received(&[bast(l2, Mode::Ex)]));
        Ok(())
    }

    /// Row 36: no self-callback when the lock was already told about that mode (the case
    /// Appendix B observed), and both conversions stay queued.
    #[test]
    fn row36_nodlckwt_no_bast_when_marked() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        a.convert(l1, Mode::Ex, 0)?;
        b.convert(l2, Mode::Ex, NODLCKWT)?;
        assert!(b.received(&[cast(l2, Status::Granted), bast(l2, Mode::Ex)]));
        let l3 = c.lock(b"r", Mode::Nl, 0)?;
        c.unlock(l3)?;
        assert!(b.received(&[]));
        assert!(a.converting(l1, Mode::Pr, Mode::Ex) && b.converting(l2, Mode::Pr, Mode::Ex));
        Ok(())
    }

    /// Row 37: `EXPEDITE` grants a new NL request at once, ignoring the queues, and is valid
    /// only on new NL requests without `NOQUEUE`.
    #[test]
    fn row37_expedite() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let _l2 = b.lock(b"r", Mode::Ex, 0)?;
        let l3 = c.lock(b"r", Mode::Nl, 0)?;
        assert!(c.waiting(l3, Mode::Nl));
        let l4 = c.lock(b"r", Mode::Nl, EXPEDITE)?;
        assert!(c.granted(l4, Mode::Nl));
        assert!(c.received(&[cast(l4, Status::Granted)]));
        assert_eq!(c.lock(b"r", Mode::Cr, EXPEDITE), Err(EINVAL));
        assert_eq!(c.lock(b"r", Mode::Nl, EXPEDITE | NOQUEUE), Err(EINVAL));
        assert_eq!(a.convert(l1, Mode::Nl, EXPEDITE), Err(EINVAL));
        Ok(())
    }

    /// Row 38: `HEADQUE` puts a request, or a conversion, at the head of its queue.
    #[test]
    fn row38_headque() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        let l3 = c.lock(b"r", Mode::Ex, HEADQUE)?;
        a.unlock(l1)?;
        assert!(c.granted(l3, Mode::Ex) && b.waiting(l2, Mode::Ex));

        // Two conversions of one owner: the HEADQUE one completes first.
        let l5 = a.lock(b"s", Mode::Nl, 0)?;
        let l6 = a.lock(b"s", Mode::Nl, 0)?;
        let l7 = b.lock(b"s", Mode::Ex, 0)?;
        a.convert(l5, Mode::Pr, 0)?;
        a.convert(l6, Mode::Cr, HEADQUE)?;
        a.take();
        b.unlock(l7)?;
        assert!(a.received(&[cast(l6, Status::Granted), cast(l5, Status::Granted)]));
        Ok(())
    }

    /// Row 39: `NOORDER` grants as soon as compatible, ignoring queue order: a new request
    /// at once, a queued conversion on the next pass.
    #[test]
    fn row39_noorder() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Ex, 0)?;
        let l3 = c.lock(b"r", Mode::Pr, NOORDER)?;
        assert!(c.granted(l3, Mode::Pr) && b.waiting(l2, Mode::Ex));

        let l4 = a.lock(b"s", Mode::Nl, 0)?;
        let l5 = b.lock(b"s", Mode::Nl, 0)?;
        let l6 = c.lock(b"s", Mode::Ex, 0)?;
        a.convert(l4, Mode::Ex, 0)?;
        b.convert(l5, Mode::Cr, NOORDER)?;
        assert!(b.converting(l5, Mode::Nl, Mode::Cr));
        c.convert(l6, Mode::Cr, 0)?;
        assert!(b.granted(l5, Mode::Cr) && a.converting(l4, Mode::Nl, Mode::Ex));
        Ok(())
    }

    /// Row 40: `ALTPR`/`ALTCW` grant the alternate mode with `DLM_SBF_ALTMODE`, at once or
    /// on a later pass.
    #[test]
    fn row40_alternate_modes() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let _l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Cw, ALTPR | NOQUEUE)?;
        assert!(b.received(&[Ev::Cast(l2, Status::Granted, sbf::ALTMODE)]));
        assert!(b.granted(l2, Mode::Pr));

        let _l3 = a.lock(b"s", Mode::Cw, 0)?;
        let l4 = b.lock(b"s", Mode::Pr, ALTCW)?;
        assert!(b.received(&[Ev::Cast(l4, Status::Granted, sbf::ALTMODE)]));
        assert!(b.granted(l4, Mode::Cw));

        let l5 = a.lock(b"t", Mode::Pw, 0)?;
        let l6 = b.lock(b"t", Mode::Ex, ALTPR)?;
        assert!(b.waiting(l6, Mode::Ex));
        a.convert(l5, Mode::Cr, 0)?;
        assert!(b.received(&[Ev::Cast(l6, Status::Granted, sbf::ALTMODE)]));
        assert!(b.granted(l6, Mode::Pr));
        Ok(())
    }

    /// A queued conversion granted in its alternate mode, equal to its granted mode, ends on
    /// the grant queue (fs/dlm would leave it on the convert queue; see core.rst).
    #[test]
    fn alt_grant_of_queued_conversion_moves_to_grant_queue() -> Result {
        let mut r = ResourceInner::new();
        let mut holder = LockState::FREE_FOR_TESTS;
        holder.id = 1;
        holder.grmode = Some(Mode::Cr);
        let h = r.insert(holder)?;
        r.link_tail(Queue::Grant, h);
        let mut conv = LockState::FREE_FOR_TESTS;
        conv.id = 2;
        conv.grmode = Some(Mode::Pr);
        conv.rqmode = Some(Mode::Ex);
        conv.exflags = ALTPR | QUECVT;
        let c = r.insert(conv)?;
        r.link_tail(Queue::Convert, c);
        r.grant_pending();
        let l = r.lk(c);
        let (gr, rq, queue, sb) = (l.grmode, l.rqmode, l.queue, l.sbflags);
        assert_eq!(gr, Some(Mode::Pr));
        assert_eq!(rq, None);
        assert_eq!(queue, Some(Queue::Grant));
        assert_eq!(sb, sbf::ALTMODE);
        assert!(r.is_empty(Queue::Convert));
        Ok(())
    }
}
