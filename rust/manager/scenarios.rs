// SPDX-License-Identifier: GPL-2.0

//! The single-node scenarios of `dlm-semantics.md`, Appendix A, run against the core.
//!
//! Each test is one numbered scenario, with recording owners standing in for the processes
//! (A, B, C, P1, P2). Statuses are the kernel's (negative) values, as [`Status`] names them.
//! Scenario 12's create count and device removal belong to the device layer; the core's
//! part, the lock count that makes a removal without force fail, is checked here.

/// KUnit tests (suite `rdlm_scenarios`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_scenarios)]
mod tests {
    use crate::manager::{
        mode::{
            lkf::*,
            sbf,
            Mode,
            Status, //
        },
        owner::Event,
        testing::{
            bast,
            cast,
            lvb,
            resource_lvb,
            space,
            Ev,
            Fake, //
        }, //
    };
    use kernel::prelude::*;

    /// 1: a conflicting request queues and tells the holder; the unlock grants it.
    #[test]
    fn scenario01_queue_bast_unlock_grant() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let la = a.lock(b"r", Mode::Ex, 0)?;
        let lb = b.lock(b"r", Mode::Ex, 0)?;
        assert!(b.waiting(lb, Mode::Ex));
        assert!(a.received(&[cast(la, Status::Granted), bast(la, Mode::Ex)]));
        a.unlock(la)?;
        assert!(a.received(&[cast(la, Status::Unlock)]));
        assert!(b.received(&[cast(lb, Status::Granted)]));
        Ok(())
    }

    /// 2: `NOQUEUE` fails with `-EAGAIN` after returning the id, tells nobody, and the id is
    /// dead; with `NOQUEUEBAST` the holder is told.
    #[test]
    fn scenario02_noqueue() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let la = a.lock(b"r", Mode::Ex, 0)?;
        a.take();
        let lb = b.lock(b"r", Mode::Ex, NOQUEUE)?;
        assert!(lb > 0);
        assert!(b.received(&[cast(lb, Status::Again)]));
        assert!(a.received(&[]));
        assert_eq!(b.unlock(lb), Err(ENOENT));
        let lc = b.lock(b"r", Mode::Ex, NOQUEUE | NOQUEUEBAST)?;
        assert!(b.received(&[cast(lc, Status::Again)]));
        assert!(a.received(&[bast(la, Mode::Ex)]));
        Ok(())
    }

    /// 3: conversion deadlock, first with the default policy, then with `CONVDEADLK`.
    #[test]
    fn scenario03_conversion_deadlock() -> Result {
        for convdeadlk in [false, true] {
            let ls = space()?;
            let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
            let la = a.lock(b"r", Mode::Pr, 0)?;
            let lb = b.lock(b"r", Mode::Pr, 0)?;
            a.take();
            b.take();
            a.convert(la, Mode::Ex, 0)?;
            assert!(a.converting(la, Mode::Pr, Mode::Ex));
            assert!(b.received(&[bast(lb, Mode::Ex)]));
            if !convdeadlk {
                b.convert(lb, Mode::Ex, 0)?;
                assert!(b.received(&[cast(lb, Status::Deadlock)]));
                assert!(b.granted(lb, Mode::Pr));
                continue;
            }
            b.convert(lb, Mode::Ex, CONVDEADLK)?;
            assert!(a.received(&[cast(la, Status::Granted), bast(la, Mode::Ex)]));
            assert!(b.converting(lb, Mode::Nl, Mode::Ex));
            a.unlock(la)?;
            assert!(b.received(&[Ev::Cast(lb, Status::Granted, sbf::DEMOTED)]));
        }
        Ok(())
    }

    /// 4: a new NL request queues behind a non-empty wait queue; with `EXPEDITE` it is
    /// granted at once.
    #[test]
    fn scenario04_nl_queues_expedite_does_not() -> Result {
        let ls = space()?;
        let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        a.lock(b"r", Mode::Ex, 0)?;
        let lb = b.lock(b"r", Mode::Ex, 0)?;
        let lc = c.lock(b"r", Mode::Nl, 0)?;
        assert!(b.waiting(lb, Mode::Ex) && c.waiting(lc, Mode::Nl));
        let ld = c.lock(b"r", Mode::Nl, EXPEDITE)?;
        assert!(c.granted(ld, Mode::Nl));
        assert!(c.received(&[cast(ld, Status::Granted)]));
        Ok(())
    }

    /// 5: `ALTPR` with `NOQUEUE`: granted PR with `DLM_SBF_ALTMODE`.
    #[test]
    fn scenario05_altpr() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        a.lock(b"r", Mode::Pr, 0)?;
        let lb = b.lock(b"r", Mode::Cw, ALTPR | NOQUEUE)?;
        assert!(b.received(&[Ev::Cast(lb, Status::Granted, sbf::ALTMODE)]));
        assert!(b.granted(lb, Mode::Pr));
        Ok(())
    }

    /// 6: an in-place conversion overtakes a queued one (and is told about it at once);
    /// with `QUECVT` it waits behind it.
    #[test]
    fn scenario06_in_place_versus_quecvt() -> Result {
        for quecvt in [false, true] {
            let ls = space()?;
            let (a, b, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
            let la = a.lock(b"r", Mode::Pr, 0)?;
            let lb = b.lock(b"r", Mode::Pr, 0)?;
            let lc = c.lock(b"r", Mode::Nl, 0)?;
            a.convert(la, Mode::Ex, 0)?;
            c.take();
            if !quecvt {
                c.convert(lc, Mode::Cr, 0)?;
                assert!(c.granted(lc, Mode::Cr));
                assert!(c.received(&[cast(lc, Status::Granted), bast(lc, Mode::Ex)]));
                continue;
            }
            c.convert(lc, Mode::Cr, QUECVT)?;
            assert!(c.converting(lc, Mode::Nl, Mode::Cr));
            b.unlock(lb)?;
            assert!(a.granted(la, Mode::Ex) && c.converting(lc, Mode::Nl, Mode::Cr));
            a.unlock(la)?;
            assert!(c.received(&[cast(lc, Status::Granted)]));
        }
        Ok(())
    }

    /// 7: a value block written by an EX to NL conversion is read by a later PR request.
    #[test]
    fn scenario07_lvb_round_trip() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let la = a.lock(b"r", Mode::Ex, VALBLK)?;
        a.convert_lvb(la, Mode::Nl, VALBLK, lvb(b'1'))?;
        let lb = b.lock(b"r", Mode::Pr, VALBLK)?;
        let got = b.take();
        let ok = matches!(
            got.first().map(|cb| (cb.lkid, cb.event)),
            Some((id, Event::Completion { status: Status::Granted, lvb: Some(v), .. }))
                if id == lb && v == lvb(b'1')
        );
        assert!(ok && got.len() == 1);
        Ok(())
    }

    /// 8: a dead EX holder invalidates a written block while an NL lock keeps the resource;
    /// not when the resource goes, nor when the block was never written.
    #[test]
    fn scenario08_valnotvalid() -> Result {
        for (keep_nl, publish, want) in [
            (true, true, true),
            (false, true, false),
            (true, false, false),
        ] {
            let ls = space()?;
            let (b, c) = (Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
            if keep_nl {
                c.lock(b"r", Mode::Nl, 0)?;
            }
            {
                let a = Fake::new(&ls, 1)?;
                let la = a.lock(b"r", Mode::Ex, VALBLK)?;
                if publish {
                    a.convert_lvb(la, Mode::Ex, VALBLK, lvb(8))?;
                }
            }
            let lb = b.lock(b"r", Mode::Pr, VALBLK)?;
            let flags = if want { sbf::VALNOTVALID } else { 0 };
            assert!(b.received(&[Ev::Cast(lb, Status::Granted, flags)]));
            assert_eq!(
                resource_lvb(&ls, b"r").map(|(v, _)| v.is_some()),
                Some(publish && keep_nl)
            );
        }
        Ok(())
    }

    /// 9: a persistent lock outlives its process; adoption (same mode), `EAGAIN` (other
    /// mode), `ENOENT` (other name); or a purge by the dead process's pid frees it.
    #[test]
    fn scenario09_orphan_adopt_purge() -> Result {
        for purge in [false, true] {
            let ls = space()?;
            let (p2, w) = (Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
            let l1 = {
                let p1 = Fake::new(&ls, 1)?;
                p1.lock(b"r", Mode::Ex, PERSISTENT)?
            };
            let lw = w.lock(b"r", Mode::Ex, 0)?;
            assert!(w.waiting(lw, Mode::Ex));
            if purge {
                p2.o.purge(100, p2.pid())?;
                assert!(w.received(&[cast(lw, Status::Granted)]));
                assert_eq!(ls.orphan_count(), 0);
                continue;
            }
            assert_eq!(p2.adopt(b"r", Mode::Pr, PERSISTENT), Err(EAGAIN));
            assert_eq!(p2.adopt(b"other", Mode::Ex, PERSISTENT), Err(ENOENT));
            assert_eq!(p2.adopt(b"r", Mode::Ex, PERSISTENT), Ok(l1));
            assert!(p2.received(&[]));
            assert!(p2.granted(l1, Mode::Ex) && w.waiting(lw, Mode::Ex));
        }
        Ok(())
    }

    /// 10: cancel of a waiting request (it dies), of a conversion (back to its mode), and of
    /// an idle lock (nothing happens).
    #[test]
    fn scenario10_cancel() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let la = a.lock(b"r", Mode::Ex, 0)?;
        let lb = b.lock(b"r", Mode::Ex, 0)?;
        b.cancel(lb)?;
        assert!(b.received(&[cast(lb, Status::Cancel)]));
        assert_eq!(b.unlock(lb), Err(ENOENT));
        a.unlock(la)?;

        let la = a.lock(b"s", Mode::Pr, 0)?;
        let lb = b.lock(b"s", Mode::Pr, 0)?;
        b.convert(lb, Mode::Ex, 0)?;
        b.take();
        b.cancel(lb)?;
        assert!(b.received(&[cast(lb, Status::Cancel)]));
        assert!(b.granted(lb, Mode::Pr));
        a.take();
        a.cancel(la)?;
        assert!(a.received(&[]));
        Ok(())
    }

    /// 11: a plain unlock of a waiting request completes with `-DLM_EUNLOCK` only.
    #[test]
    fn scenario11_unlock_waiting_request() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        a.lock(b"r", Mode::Ex, 0)?;
        let lb = b.lock(b"r", Mode::Ex, 0)?;
        b.unlock(lb)?;
        assert!(b.received(&[cast(lb, Status::Unlock)]));
        Ok(())
    }

    /// 12 (core part): any lock, of any owner, makes the lockspace busy for a removal
    /// without force; a forced removal frees everything.
    #[test]
    fn scenario12_busy_lockspace() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let la = a.lock(b"r", Mode::Ex, 0)?;
        let lb = b.lock(b"r", Mode::Pr, 0)?;
        a.unlock(la)?;
        assert_eq!(ls.lock_count(), 1);
        b.unlock(lb)?;
        assert_eq!(ls.lock_count(), 0);
        b.lock(b"r", Mode::Pr, 0)?;
        ls.release_all();
        assert_eq!(ls.lock_count(), 0);
        Ok(())
    }
}
