// SPDX-License-Identifier: GPL-2.0

//! Callbacks: which blocking callbacks a change calls for, and how a decided callback
//! reaches (or, by the suppression rules, does not reach) its owner.
//!
//! Blocking callbacks ("BASTs") go to granted holders whose mode blocks a queued request;
//! each lock remembers the highest mode it was told about since it was last granted
//! (`highbast`) and is not told again about a mode that is not higher, except for the PR/CW
//! pair, where neither mode is "higher". Completions ("CASTs") carry the outcome of an
//! operation. Both are decided under `Resource::inner` and buffered in the resource.

use super::{
    mode::{
        compatible,
        lkf,
        lvb_op,
        LvbOp,
        Mode,
        Status, //
    },
    owner::{
        Callback,
        Event, //
    },
    resource::{
        Queue,
        ResourceInner,
        NIL, //
    }, //
};

impl ResourceInner {
    /// Queues a completion for lock `i` with its current granted mode and `DLM_SBF_*` bits.
    ///
    /// A cancel completes with `-EDEADLK` instead when the deadlock command marked the lock.
    pub(super) fn queue_cast(&mut self, i: u32, status: Status) {
        let mut status = status;
        if let Some(l) = self.lk_mut(i) {
            if status == Status::Cancel && l.deadlock_mark {
                l.deadlock_mark = false;
                status = Status::Deadlock;
            }
        }
        let l = self.lk(i);
        let (mode, sb_flags) = (l.grmode, l.sbflags);
        self.add_callback(i, mode, Some(status), sb_flags);
    }

    /// Queues a blocking callback for lock `i`, for a request of `mode`.
    pub(super) fn queue_bast(&mut self, i: u32, mode: Mode) {
        self.add_callback(i, Some(mode), None, 0);
    }

    /// Hands a callback for lock `i` to its owner (`dlm_user_add_ast`), applying the
    /// suppression rules; `status` is `None` for a blocking callback.
    ///
    /// Orphans get nothing, nor does a lock whose owner is tearing it down. A blocking
    /// callback is dropped when the owner gave no blocking address, when `mode` is compatible
    /// with the mode of the last completion, or when the callback before it was a blocking
    /// one for the same mode, or for a higher mode above PR. A completion carries the lock's
    /// value block when it succeeds, the lock has a block, and the transfer from the mode of
    /// the previous completion to `mode` is not a write.
    pub(super) fn add_callback(
        &mut self,
        i: u32,
        mode: Option<Mode>,
        status: Option<Status>,
        sb_flags: u8,
    ) {
        let Some(l) = self.lk_mut(i) else {
            return;
        };
        let Some(owner) = l.owner.as_ref() else {
            return;
        };
        let event = match (status, mode) {
            (None, Some(mode)) => {
                if l.cookies.bast_addr == 0 {
                    return;
                }
                if l.last_cast.is_some() && compatible(Some(mode), l.last_cast) {
                    return;
                }
                if let (true, Some(prev)) = (l.last_cb_bast, l.last_cb) {
                    if prev == mode || (prev > mode && prev > Mode::Pr) {
                        return;
                    }
                }
                l.last_cb = Some(mode);
                l.last_cb_bast = true;
                Event::Blocking { mode }
            }
            (Some(status), _) => {
                let copy = status == Status::Granted && lvb_op(l.last_cast, mode) != LvbOp::Write;
                let lvb = match (&l.lvb, copy) {
                    (Some(b), true) => Some(**b),
                    _ => None,
                };
                l.last_cast = mode;
                l.last_cb = mode;
                l.last_cb_bast = false;
                Event::Completion {
                    status,
                    sb_flags,
                    lvb,
                }
            }
            (None, None) => return,
        };
        owner.push_callback(Callback {
            lkid: l.id,
            event,
            cookies: l.cookies,
        });
    }

    /// Returns whether holder `g` must be told about a request for `rq` (`modes_require_bast`).
    pub(super) fn holder_needs_bast(&self, g: u32, rq: Mode) -> bool {
        let l = self.lk(g);
        let pr_cw = (l.grmode == Some(Mode::Pr) && rq == Mode::Cw)
            || (l.grmode == Some(Mode::Cw) && rq == Mode::Pr);
        if pr_cw {
            return l.highbast < Mode::Ex;
        }
        l.highbast < rq && !compatible(l.grmode, Some(rq))
    }

    /// Sends blocking callbacks for lock `i`'s requested mode to the locks of queue `q`
    /// (`send_bast_queue`), except `i` itself.
    pub(super) fn send_basts(&mut self, q: Queue, i: u32) {
        let Some(rq) = self.lk(i).rqmode else {
            return;
        };
        let mut g = self.first(q);
        while g != NIL {
            let next = self.next_of(g);
            if g != i && self.holder_needs_bast(g, rq) {
                self.queue_bast(g, rq);
                if let Some(l) = self.lk_mut(g) {
                    l.highbast = rq;
                }
            }
            g = next;
        }
    }

    /// Returns whether granted lock `g` must be told about the blocked requests, whose
    /// highest mode is `high` (`lock_requires_bast`); `cw` says one of them wants CW.
    pub(super) fn granted_needs_bast(&self, g: u32, high: Mode, cw: bool) -> bool {
        let l = self.lk(g);
        if l.grmode == Some(Mode::Pr) && cw {
            return l.highbast < Mode::Ex;
        }
        l.highbast < high && !compatible(l.grmode, Some(high))
    }

    /// Handles a queued conversion found in deadlock: with `NODLCKWT` it gets a blocking
    /// callback for its own requested mode, once per mode; otherwise it just waits (fs/dlm
    /// logs the resource then).
    pub(super) fn deadlocked_in_queue(&mut self, i: u32) {
        let l = self.lk(i);
        let Some(rq) = l.rqmode else {
            return;
        };
        if l.exflags & lkf::NODLCKWT != 0 && l.highbast < rq {
            self.queue_bast(i, rq);
            if let Some(l) = self.lk_mut(i) {
                l.highbast = rq;
            }
        }
    }
}

/// KUnit tests (suite `rdlm_blocking`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_blocking)]
mod tests {
    use super::*;
    use crate::manager::{
        mode::{
            lkf::*,
            sbf, //
        },
        owner::Cookies,
        resource::{
            LockState,
            Resource, //
        },
        testing::{
            bast,
            cast,
            ev_of,
            lvb,
            space,
            Ev,
            Fake, //
        }, //
    };
    use kernel::prelude::*;

    /// Row 32: with `NOQUEUEBAST`, a failed `NOQUEUE` request tells the blocking holders,
    /// granted and converting; without it, nobody is told.
    #[test]
    fn row32_noqueuebast() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Ex, 0)?;
        a.take();
        let l2 = b.lock(b"r", Mode::Ex, NOQUEUE)?;
        assert!(a.received(&[]));
        let l3 = b.lock(b"r", Mode::Ex, NOQUEUE | NOQUEUEBAST)?;
        assert!(b.received(&[cast(l2, Status::Again), cast(l3, Status::Again)]));
        assert!(a.received(&[bast(l1, Mode::Ex)]));

        let l4 = a.lock(b"s", Mode::Pr, 0)?;
        let l5 = b.lock(b"s", Mode::Pr, 0)?;
        a.convert(l4, Mode::Ex, 0)?;
        a.take();
        b.take();
        let l6 = c.lock(b"s", Mode::Pw, NOQUEUE | NOQUEUEBAST)?;
        assert!(c.received(&[cast(l6, Status::Again)]));
        assert!(a.received(&[bast(l4, Mode::Pw)]));
        assert!(b.received(&[]));
        assert!(b.granted(l5, Mode::Pr));
        Ok(())
    }

    /// Row 45: a queued request tells each conflicting holder its requested mode, once per
    /// mode until the holder is granted again.
    #[test]
    fn row45_bast_when_queued() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        a.take();
        let _l2 = b.lock(b"r", Mode::Pw, 0)?;
        let _l3 = c.lock(b"r", Mode::Pw, 0)?;
        let _l4 = c.lock(b"r", Mode::Ex, 0)?;
        assert!(a.received(&[bast(l1, Mode::Pw), bast(l1, Mode::Ex)]));
        Ok(())
    }

    /// Row 45: a PR holder is told about a CW request (and a CW holder about PR) while it
    /// has not been told about EX, even after a higher mode such as PW.
    #[test]
    fn row45_pr_cw_special_case() -> Result {
        let ls = space()?;
        let (a, b, c, d) = (
            Fake::new(&ls, 1)?,
            Fake::new(&ls, 2)?,
            Fake::new(&ls, 3)?,
            Fake::new(&ls, 4)?,
        );
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let _l4 = d.lock(b"r", Mode::Cr, 0)?;
        let _l2 = b.lock(b"r", Mode::Pw, 0)?;
        a.convert(l1, Mode::Ex, NOQUEUE)?;
        assert!(a.received(&[
            cast(l1, Status::Granted),
            bast(l1, Mode::Pw),
            cast(l1, Status::Again)
        ]));
        let _l3 = c.lock(b"r", Mode::Cw, 0)?;
        assert!(a.received(&[bast(l1, Mode::Cw)]));
        Ok(())
    }

    /// Row 45: after a re-grant pass, a PR holder is told CW when the highest blocked mode
    /// is PR and a blocked request wants CW.
    #[test]
    fn row45_regrant_sends_cw_to_pr_holder() -> Result {
        let ls = space()?;
        let (a, b, c, d) = (
            Fake::new(&ls, 1)?,
            Fake::new(&ls, 2)?,
            Fake::new(&ls, 3)?,
            Fake::new(&ls, 4)?,
        );
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l4 = d.lock(b"r", Mode::Cr, 0)?;
        let _l2 = b.lock(b"r", Mode::Cw, 0)?;
        let _l3 = c.lock(b"r", Mode::Pr, 0)?;
        // A completion for `a` so that the next blocking callback is not a repeat.
        a.convert(l1, Mode::Ex, NOQUEUE)?;
        assert!(a.received(&[
            cast(l1, Status::Granted),
            bast(l1, Mode::Cw),
            cast(l1, Status::Again)
        ]));
        d.unlock(l4)?;
        assert!(a.received(&[bast(l1, Mode::Cw)]));
        Ok(())
    }

    /// Row 45: the "highest mode told" mark is reset only by a grant: after a cancel and a
    /// new conversion the holder is not told again (Appendix B, item 3).
    #[test]
    fn row45_mark_reset_only_on_grant() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Pr, 0)?;
        let l2 = b.lock(b"r", Mode::Pr, 0)?;
        b.take();
        a.convert(l1, Mode::Ex, 0)?;
        assert!(b.received(&[bast(l2, Mode::Ex)]));
        a.cancel(l1)?;
        a.convert(l1, Mode::Ex, 0)?;
        assert!(b.received(&[]));
        b.convert(l2, Mode::Nl, 0)?;
        assert!(a.granted(l1, Mode::Ex));
        b.take();
        let l3 = a.lock(b"r", Mode::Nl, 0)?;
        a.convert(l3, Mode::Ex, 0)?;
        assert!(b.received(&[]));
        b.convert(l2, Mode::Pr, 0)?;
        assert!(b.received(&[]));
        Ok(())
    }

    /// Row 46: no blocking callback reaches an owner that gave no blocking address; the
    /// suppression state is not touched by the dropped one.
    #[test]
    fn row46_no_bast_without_address() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let quiet = Cookies {
            bast_addr: 0,
            ..a.cookies()
        };
        let l1 = a.lock_raw(b"r", Mode::Pr.as_raw(), 0, 0, lvb(0), quiet)?;
        let _l2 = b.lock(b"r", Mode::Ex, 0)?;
        assert!(a.received(&[cast(l1, Status::Granted)]));
        Ok(())
    }

    /// Builds a resource holding one granted lock of `owner` and runs `f` on it.
    fn with_lock(owner: &Fake, f: impl FnOnce(&mut ResourceInner, u32)) -> Result {
        let r = Resource::new(b"unit", 0)?;
        let mut lock = LockState::FREE_FOR_TESTS;
        lock.id = 7;
        lock.owner = Some(owner.o.clone());
        lock.cookies = owner.cookies();
        lock.grmode = Some(Mode::Pr);
        let done = r.with(|inner| -> Result {
            let i = inner.insert(lock)?;
            inner.link_tail(Queue::Grant, i);
            f(inner, i);
            inner.remove(i);
            Ok(())
        });
        done.ok_or(EINVAL)?.0
    }

    /// Row 46: a blocking callback compatible with the mode of the last completion is
    /// dropped.
    #[test]
    fn row46_drop_bast_compatible_with_last_cast() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        with_lock(&a, |r, i| {
            r.queue_cast(i, Status::Granted);
            r.queue_bast(i, Mode::Cr);
            r.queue_bast(i, Mode::Ex);
        })?;
        assert!(a.received(&[cast(7, Status::Granted), bast(7, Mode::Ex)]));
        Ok(())
    }

    /// Row 46: a blocking callback right after one for the same mode, or for a higher mode
    /// above PR, is dropped; after PR, a CW one is not (PR/CW are not ordered).
    #[test]
    fn row46_drop_repeated_bast() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        with_lock(&a, |r, i| {
            r.queue_bast(i, Mode::Pr);
            r.queue_bast(i, Mode::Pr);
            r.queue_bast(i, Mode::Cw);
            r.queue_bast(i, Mode::Pw);
            r.queue_bast(i, Mode::Cw);
            r.queue_bast(i, Mode::Ex);
            r.queue_cast(i, Status::Again);
            r.queue_bast(i, Mode::Ex);
        })?;
        assert!(a.received(&[
            bast(7, Mode::Pr),
            bast(7, Mode::Cw),
            bast(7, Mode::Pw),
            bast(7, Mode::Ex),
            cast(7, Status::Again),
            bast(7, Mode::Ex)
        ]));
        Ok(())
    }

    /// Completions carry the cookies and `DLM_SBF_*` bits the lock has when they are
    /// decided, and a blocking callback carries status 0 and no bits.
    #[test]
    fn callback_fields() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        with_lock(&a, |r, i| {
            if let Some(l) = r.lk_mut(i) {
                l.sbflags = sbf::ALTMODE;
            }
            r.queue_cast(i, Status::Granted);
            if let Some(l) = r.lk_mut(i) {
                l.cookies.cast_param = 99;
            }
            r.queue_bast(i, Mode::Ex);
        })?;
        let got = a.take();
        let c = a.cookies();
        assert_eq!(got.len(), 2);
        let (first, second) = (got.first().ok_or(EINVAL)?, got.get(1).ok_or(EINVAL)?);
        assert_eq!(first.status(), 0);
        assert_eq!(first.sb_flags(), sbf::ALTMODE);
        assert_eq!(first.user_addr(), c.cast_addr);
        assert_eq!(first.user_param(), c.cast_param);
        assert_eq!(first.bast_mode(), 0);
        assert_eq!(second.status(), 0);
        assert_eq!(second.sb_flags(), 0);
        assert_eq!(second.bast_mode(), Mode::Ex.as_raw());
        assert_eq!(second.user_addr(), c.bast_addr);
        assert_eq!(second.user_param(), c.bast_param);
        assert_eq!(second.cookies.cast_param, 99);
        assert_eq!(second.cookies.lksb, c.lksb);
        assert!(second.lvb().is_none());
        assert_eq!(Ev::Cast(7, Status::Granted, sbf::ALTMODE), ev_of(first));
        Ok(())
    }
}
