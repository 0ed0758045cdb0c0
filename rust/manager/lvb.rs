// SPDX-License-Identifier: GPL-2.0

//! Lock value blocks: the transfer between a lock's block and its resource's block when a
//! lock is granted or unlocked, and the invalid mark.
//!
//! A resource has a 32-byte block once a lock writes one, and loses it with its last lock
//! (the resource itself goes). A lock has its own block from its first `VALBLK` on. Which
//! way the bytes go depends on the old and new mode ([`lvb_op`]); `IVVALBLK` marks the
//! resource's block invalid instead of writing it, and a later write clears the mark.

use super::{
    mode::{
        lkf,
        lvb_op,
        sbf,
        LvbOp,
        Mode, //
    },
    resource::ResourceInner, //
};

impl ResourceInner {
    /// Transfers the value block as lock `i` is granted its requested mode (`set_lvb_lock`),
    /// and reports an invalid block with `DLM_SBF_VALNOTVALID`.
    pub(super) fn set_lvb_lock(&mut self, i: u32) {
        let l = self.lk(i);
        let valblk = l.exflags & lkf::VALBLK != 0;
        let ivvalblk = l.exflags & lkf::IVVALBLK != 0;
        let lock_lvb = l.lvb.as_deref().copied();
        match lvb_op(l.grmode, l.rqmode) {
            LvbOp::Read => {
                let (Some(_), Some(data), true) = (lock_lvb, self.lvb, valblk) else {
                    return;
                };
                let seq = self.lvb_seq;
                if let Some(l) = self.lk_mut(i) {
                    if let Some(b) = l.lvb.as_mut() {
                        **b = data;
                    }
                    l.lvb_seq = seq;
                }
            }
            LvbOp::Write => {
                if ivvalblk {
                    self.lvb_invalid = true;
                    return;
                }
                let (Some(data), true) = (lock_lvb, valblk) else {
                    return;
                };
                self.lvb = Some(data);
                self.lvb_seq = self.lvb_seq.wrapping_add(1);
                self.lvb_invalid = false;
                let seq = self.lvb_seq;
                if let Some(l) = self.lk_mut(i) {
                    l.lvb_seq = seq;
                }
            }
            LvbOp::Nothing => {}
        }
        if self.lvb_invalid {
            if let Some(l) = self.lk_mut(i) {
                l.sbflags |= sbf::VALNOTVALID;
            }
        }
    }

    /// Transfers the value block as lock `i` is unlocked (`set_lvb_unlock`): only from PW or
    /// EX, and it writes, or invalidates with `IVVALBLK`.
    pub(super) fn set_lvb_unlock(&mut self, i: u32) {
        let l = self.lk(i);
        if l.grmode < Some(Mode::Pw) {
            return;
        }
        if l.exflags & lkf::IVVALBLK != 0 {
            self.lvb_invalid = true;
            return;
        }
        let (Some(lock_lvb), true) = (l.lvb.as_ref(), l.exflags & lkf::VALBLK != 0) else {
            return;
        };
        self.lvb = Some(**lock_lvb);
        self.lvb_seq = self.lvb_seq.wrapping_add(1);
        self.lvb_invalid = false;
    }
}

/// KUnit tests (suite `rdlm_lvb`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(rdlm_lvb)]
mod tests {
    use super::*;
    use crate::manager::{
        mode::{
            lkf::*,
            Status,
            LVB_LEN, //
        },
        owner::{
            Callback,
            Event, //
        },
        testing::{
            cast,
            lvb,
            resource_lvb,
            space,
            Ev,
            Fake, //
        }, //
    };
    use kernel::prelude::*;

    /// Returns the value block the only completion in `got` carries.
    fn cast_lvb(got: &[Callback]) -> Option<Option<[u8; LVB_LEN]>> {
        match got {
            [Callback {
                event: Event::Completion { lvb, .. },
                ..
            }] => Some(*lvb),
            _ => None,
        }
    }

    /// Row 42: a down-conversion from EX with `VALBLK` writes the resource's block, and a
    /// later grant with `VALBLK` reads it (Appendix A, scenario 7).
    #[test]
    fn row42_write_then_read() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
        a.convert_lvb(l1, Mode::Nl, VALBLK, lvb(0x11))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(0x11)), false)));
        let _l2 = b.lock(b"r", Mode::Pr, VALBLK)?;
        assert_eq!(cast_lvb(&b.take()), Some(Some(lvb(0x11))));
        Ok(())
    }

    /// Row 42: a new request's `lvb` bytes are not copied: its block starts zeroed.
    #[test]
    fn row42_new_request_block_starts_zeroed() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock_raw(b"r", Mode::Ex.as_raw(), VALBLK, 0, lvb(0x22), a.cookies())?;
        assert_eq!(a.info(l1).ok_or(ENOENT)?.lvb, Some(lvb(0)));
        assert_eq!(cast_lvb(&a.take()), Some(Some(lvb(0))));
        let l2 = a.lock(b"s", Mode::Ex, 0)?;
        assert_eq!(a.info(l2).ok_or(ENOENT)?.lvb, None);
        assert_eq!(cast_lvb(&a.take()), Some(None));
        Ok(())
    }

    /// Row 42: every convert copies the request's bytes into the lock's block if it has
    /// one, with or without `VALBLK`; a lock without a block gets none.
    #[test]
    fn row42_convert_copies_bytes() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Nl, VALBLK)?;
        a.convert_lvb(l1, Mode::Cr, 0, lvb(0x33))?;
        assert_eq!(a.info(l1).ok_or(ENOENT)?.lvb, Some(lvb(0x33)));
        let l2 = a.lock(b"s", Mode::Nl, 0)?;
        a.convert_lvb(l2, Mode::Cr, 0, lvb(0x33))?;
        assert_eq!(a.info(l2).ok_or(ENOENT)?.lvb, None);
        a.convert_lvb(l2, Mode::Pr, VALBLK, lvb(0x44))?;
        assert_eq!(a.info(l2).ok_or(ENOENT)?.lvb, Some(lvb(0x44)));
        Ok(())
    }

    /// Row 42: an EX to EX conversion with `VALBLK` publishes the block while holding.
    #[test]
    fn row42_ex_to_ex_publishes() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
        a.convert_lvb(l1, Mode::Ex, VALBLK, lvb(0x55))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(0x55)), false)));
        assert!(a.granted(l1, Mode::Ex));
        Ok(())
    }

    /// Row 42: an unlock from PW or EX of a lock whose last lock or convert had `VALBLK`
    /// writes the unlock request's bytes; from lower modes nothing is written.
    #[test]
    fn row42_unlock_writes_from_pw_ex() -> Result {
        let ls = space()?;
        let (a, c) = (Fake::new(&ls, 1)?, Fake::new(&ls, 3)?);
        let _keep = c.lock(b"r", Mode::Nl, 0)?;
        let l1 = a.lock(b"r", Mode::Pw, VALBLK)?;
        a.unlock_raw(l1, 0, 0, 1, lvb(0x66))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(0x66)), false)));
        let l2 = a.lock(b"r", Mode::Pr, VALBLK)?;
        a.unlock_raw(l2, 0, 0, 1, lvb(0x77))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(0x66)), false)));
        let l3 = a.lock(b"r", Mode::Ex, 0)?;
        a.unlock_raw(l3, VALBLK, 0, 1, lvb(0x88))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(0x66)), false)));
        Ok(())
    }

    /// Row 26/42: a successful completion carries the lock's block unless the change from
    /// the previous completion's mode is a write; a lock that once used `VALBLK` keeps
    /// getting it.
    #[test]
    fn row42_lvb_append_rule() -> Result {
        let ls = space()?;
        let a = Fake::new(&ls, 1)?;
        let l1 = a.lock(b"r", Mode::Pw, VALBLK)?;
        assert_eq!(cast_lvb(&a.take()), Some(Some(lvb(0))));
        a.convert_lvb(l1, Mode::Nl, VALBLK, lvb(1))?;
        assert_eq!(cast_lvb(&a.take()), Some(None));
        a.convert_lvb(l1, Mode::Ex, 0, lvb(2))?;
        assert_eq!(cast_lvb(&a.take()), Some(Some(lvb(2))));
        a.convert_lvb(l1, Mode::Ex, 0, lvb(3))?;
        assert_eq!(cast_lvb(&a.take()), Some(None));
        let _l3 = a.lock(b"s", Mode::Pr, 0)?;
        let l2 = a.lock(b"s", Mode::Cr, VALBLK)?;
        a.take();
        a.convert(l2, Mode::Nl, 0)?;
        assert_eq!(cast_lvb(&a.take()), Some(Some(lvb(0))));
        a.convert(l2, Mode::Ex, NOQUEUE)?;
        assert_eq!(cast_lvb(&a.take()), Some(None));
        Ok(())
    }

    /// Row 43: an owner that goes away while holding EX invalidates a written block; the
    /// next reader with `VALBLK` sees `DLM_SBF_VALNOTVALID` (Appendix A, scenario 8).
    #[test]
    fn row43_close_invalidates() -> Result {
        let ls = space()?;
        let (b, c) = (Fake::new(&ls, 2)?, Fake::new(&ls, 3)?);
        let _keep = c.lock(b"r", Mode::Nl, 0)?;
        {
            let a = Fake::new(&ls, 1)?;
            let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
            a.convert_lvb(l1, Mode::Ex, VALBLK, lvb(9))?;
        }
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(9)), true)));
        let l2 = b.lock(b"r", Mode::Pr, VALBLK)?;
        assert!(b.received(&[Ev::Cast(l2, Status::Granted, sbf::VALNOTVALID)]));
        Ok(())
    }

    /// Row 43: no `VALNOTVALID` when the resource went away with its last lock, or when its
    /// block was never written.
    #[test]
    fn row43_no_valnotvalid_without_block() -> Result {
        let ls = space()?;
        let b = Fake::new(&ls, 2)?;
        {
            let a = Fake::new(&ls, 1)?;
            let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
            a.convert_lvb(l1, Mode::Ex, VALBLK, lvb(9))?;
        }
        assert_eq!(ls.resource_count(), 0);
        let l2 = b.lock(b"r", Mode::Pr, VALBLK)?;
        assert!(b.received(&[cast(l2, Status::Granted)]));

        let c = Fake::new(&ls, 3)?;
        let _keep = c.lock(b"s", Mode::Nl, 0)?;
        {
            let a = Fake::new(&ls, 1)?;
            a.lock(b"s", Mode::Ex, VALBLK)?;
        }
        assert_eq!(resource_lvb(&ls, b"s"), Some((None, true)));
        let l3 = b.lock(b"s", Mode::Pr, VALBLK)?;
        assert!(b.received(&[cast(l3, Status::Granted)]));
        Ok(())
    }

    /// Row 43: `IVVALBLK` on a down-conversion from EX marks the block invalid (that
    /// completion has no flag); a "nothing" transfer reports the mark even without
    /// `VALBLK`; a write clears it.
    #[test]
    fn row43_ivvalblk_and_reporting() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
        a.convert_lvb(l1, Mode::Ex, VALBLK, lvb(1))?;
        a.take();
        a.convert(l1, Mode::Nl, IVVALBLK)?;
        assert!(a.received(&[cast(l1, Status::Granted)]));
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(1)), true)));

        let l2 = b.lock(b"r", Mode::Cr, 0)?;
        b.convert(l2, Mode::Nl, 0)?;
        assert!(b.received(&[
            cast(l2, Status::Granted),
            Ev::Cast(l2, Status::Granted, sbf::VALNOTVALID)
        ]));

        a.convert(l1, Mode::Ex, VALBLK)?;
        a.convert_lvb(l1, Mode::Nl, VALBLK, lvb(2))?;
        assert_eq!(resource_lvb(&ls, b"r"), Some((Some(lvb(2)), false)));
        let l3 = b.lock(b"r", Mode::Pr, VALBLK)?;
        b.take();
        b.convert(l3, Mode::Nl, 0)?;
        assert!(b.received(&[cast(l3, Status::Granted)]));
        Ok(())
    }

    /// Row 44: the resource's block is freed with the resource's last lock; an NL lock
    /// keeps it.
    #[test]
    fn row44_block_freed_with_last_lock() -> Result {
        let ls = space()?;
        let (a, b) = (Fake::new(&ls, 1)?, Fake::new(&ls, 2)?);
        let l1 = a.lock(b"r", Mode::Ex, VALBLK)?;
        a.convert_lvb(l1, Mode::Nl, VALBLK, lvb(5))?;
        a.unlock(l1)?;
        // The empty resource stays cached, without its block (`fs/dlm` frees it too).
        assert_eq!(resource_lvb(&ls, b"r"), Some((None, false)));
        let _l2 = b.lock(b"r", Mode::Pr, VALBLK)?;
        assert_eq!(cast_lvb(&b.take()), Some(Some(lvb(0))));

        let l3 = a.lock(b"s", Mode::Nl, 0)?;
        let l4 = a.lock(b"s", Mode::Ex, VALBLK)?;
        a.convert_lvb(l4, Mode::Nl, VALBLK, lvb(6))?;
        a.unlock(l4)?;
        let _l5 = b.lock(b"s", Mode::Pr, VALBLK)?;
        assert_eq!(cast_lvb(&b.take()), Some(Some(lvb(6))));
        a.unlock(l3)?;
        Ok(())
    }
}
