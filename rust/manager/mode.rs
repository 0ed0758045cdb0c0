// SPDX-License-Identifier: GPL-2.0

//! Lock modes, request flags, status codes and the fixed tables of the lock rules.
//!
//! The values are the user ABI's (`include/uapi/linux/dlmconstants.h`). The tables are
//! indexed by "mode + 1", so that index 0 stands for "no mode" (a lock that is not granted,
//! or a request not yet made); `Option<Mode>` carries that in Rust.

use kernel::prelude::*;

/// The longest resource name, in bytes.
pub(crate) const NAME_MAX: usize = 64;

/// The size of a lock value block in a lockspace of the user interface.
pub(crate) const LVB_LEN: usize = 32;

/// A lock mode, from the weakest to the strongest.
///
/// The derived order is the numeric one, which the rules use ("highest mode").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Mode {
    /// Null: compatible with everything; holds a place on the resource.
    Nl = 0,
    /// Concurrent read.
    Cr = 1,
    /// Concurrent write.
    Cw = 2,
    /// Protected read.
    Pr = 3,
    /// Protected write.
    Pw = 4,
    /// Exclusive.
    Ex = 5,
}

impl Mode {
    /// Returns the mode with the ABI value `raw`, or `None` if `raw` is not a mode.
    pub(crate) fn from_raw(raw: u8) -> Option<Mode> {
        match raw {
            0 => Some(Mode::Nl),
            1 => Some(Mode::Cr),
            2 => Some(Mode::Cw),
            3 => Some(Mode::Pr),
            4 => Some(Mode::Pw),
            5 => Some(Mode::Ex),
            _ => None,
        }
    }

    /// Returns the ABI value of the mode.
    pub(crate) fn as_raw(self) -> u8 {
        self as u8
    }
}

/// Returns the table index of `mode`: 0 for no mode, the mode's value plus one otherwise.
fn index(mode: Option<Mode>) -> usize {
    mode.map_or(0, |m| usize::from(m.as_raw()) + 1)
}

/// Compatibility of a granted mode (row) with a requested mode (column); index 0 is "none",
/// which is compatible with everything.
const COMPAT: [[bool; 7]; 7] = {
    const T: bool = true;
    const F: bool = false;
    [
        // none NL CR CW PR PW EX
        [T, T, T, T, T, T, T], // none
        [T, T, T, T, T, T, T], // NL
        [T, T, T, T, T, T, F], // CR
        [T, T, T, T, F, F, F], // CW
        [T, T, T, F, T, F, F], // PR
        [T, T, T, F, F, F, F], // PW
        [T, T, F, F, F, F, F], // EX
    ]
};

/// Returns whether a lock granted `granted` lets another lock be granted `requested`.
///
/// The relation is symmetric; "no mode" on either side is compatible with everything.
pub(crate) fn compatible(granted: Option<Mode>, requested: Option<Mode>) -> bool {
    COMPAT
        .get(index(granted))
        .and_then(|row| row.get(index(requested)))
        .copied()
        .unwrap_or(true)
}

/// What happens to the lock value block when a lock goes from one mode to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LvbOp {
    /// Nothing is copied.
    Nothing,
    /// The resource's block is copied to the lock ("read").
    Read,
    /// The lock's block is copied to the resource ("write").
    Write,
}

/// The LVB transfer table, by old mode (row) and new mode (column); index 0 is "none".
const LVB_OPS: [[LvbOp; 7]; 7] = {
    const N: LvbOp = LvbOp::Nothing;
    const R: LvbOp = LvbOp::Read;
    const W: LvbOp = LvbOp::Write;
    [
        // none NL CR CW PR PW EX
        [N, R, R, R, R, R, R], // none
        [N, R, R, R, R, R, R], // NL
        [N, N, R, R, R, R, R], // CR
        [N, N, N, R, R, R, R], // CW
        [N, N, N, N, R, R, R], // PR
        [N, W, W, W, W, W, R], // PW
        [N, W, W, W, W, W, W], // EX
    ]
};

/// Returns the LVB transfer for a lock going from mode `from` to mode `to`.
pub(crate) fn lvb_op(from: Option<Mode>, to: Option<Mode>) -> LvbOp {
    LVB_OPS
        .get(index(from))
        .and_then(|row| row.get(index(to)))
        .copied()
        .unwrap_or(LvbOp::Nothing)
}

/// Conversions allowed with `QUECVT`, by granted mode (row) and requested mode (column).
const QUECVT_OK: [[bool; 6]; 6] = {
    const T: bool = true;
    const F: bool = false;
    [
        // NL CR CW PR PW EX
        [F, T, T, T, T, T], // NL
        [F, F, T, T, T, T], // CR
        [F, F, F, T, T, T], // CW
        [F, F, T, F, T, T], // PR
        [F, F, F, F, F, T], // PW
        [F, F, F, F, F, F], // EX
    ]
};

/// Returns whether a lock granted `from` may ask for `to` with `QUECVT`.
pub(crate) fn quecvt_allowed(from: Option<Mode>, to: Mode) -> bool {
    let Some(from) = from else {
        return false;
    };
    QUECVT_OK
        .get(usize::from(from.as_raw()))
        .and_then(|row| row.get(usize::from(to.as_raw())))
        .copied()
        .unwrap_or(false)
}

/// Request flags (`DLM_LKF_*`), as a lock or unlock request carries them.
pub(crate) mod lkf {
    /// Fail at once instead of queueing.
    pub(crate) const NOQUEUE: u32 = 0x0000_0001;
    /// Cancel the pending request or conversion (unlock only).
    pub(crate) const CANCEL: u32 = 0x0000_0002;
    /// Convert an existing lock.
    pub(crate) const CONVERT: u32 = 0x0000_0004;
    /// Transfer the lock value block.
    pub(crate) const VALBLK: u32 = 0x0000_0008;
    /// Queue a compatible conversion behind earlier ones.
    pub(crate) const QUECVT: u32 = 0x0000_0010;
    /// Invalidate the resource's value block instead of writing it.
    pub(crate) const IVVALBLK: u32 = 0x0000_0020;
    /// Resolve a conversion deadlock by demoting this lock to NL.
    pub(crate) const CONVDEADLK: u32 = 0x0000_0040;
    /// Keep the lock as an orphan when its owner goes away.
    pub(crate) const PERSISTENT: u32 = 0x0000_0080;
    /// On conversion deadlock, queue and send a blocking callback to the lock itself.
    pub(crate) const NODLCKWT: u32 = 0x0000_0100;
    /// Accepted and ignored (named for the tests).
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) const NODLCKBLK: u32 = 0x0000_0200;
    /// Grant a new NL request at once, ignoring the queues.
    pub(crate) const EXPEDITE: u32 = 0x0000_0400;
    /// With `NOQUEUE`: send blocking callbacks to the holders that made the request fail.
    pub(crate) const NOQUEUEBAST: u32 = 0x0000_0800;
    /// Queue at the head instead of the tail.
    pub(crate) const HEADQUE: u32 = 0x0000_1000;
    /// Grant as soon as compatible, ignoring queue order.
    pub(crate) const NOORDER: u32 = 0x0000_2000;
    /// Adopt an orphan lock.
    pub(crate) const ORPHAN: u32 = 0x0000_4000;
    /// Accept PR if the requested mode cannot be granted.
    pub(crate) const ALTPR: u32 = 0x0000_8000;
    /// Accept CW if the requested mode cannot be granted.
    pub(crate) const ALTCW: u32 = 0x0001_0000;
    /// Unlock whatever the lock's state (unlock only).
    pub(crate) const FORCEUNLOCK: u32 = 0x0002_0000;
    /// Lock timeouts: removed from Linux, accepted and ignored (named for the tests).
    #[cfg(CONFIG_RDLM_KUNIT_TEST)]
    pub(crate) const TIMEOUT: u32 = 0x0004_0000;
    /// The only flags an unlock, cancel or deadlock-cancel may carry.
    pub(crate) const UNLOCK_MASK: u32 = CANCEL | VALBLK | IVVALBLK | FORCEUNLOCK;
}

/// Status-block flags (`DLM_SBF_*`) reported with a completion.
pub(crate) mod sbf {
    /// The granted mode was demoted to NL to resolve a conversion deadlock.
    pub(crate) const DEMOTED: u8 = 0x01;
    /// The resource's lock value block is marked invalid.
    pub(crate) const VALNOTVALID: u8 = 0x02;
    /// The lock was granted in its alternate mode (`ALTPR` or `ALTCW`).
    pub(crate) const ALTMODE: u8 = 0x04;
}

/// The outcome a completion callback reports (`sb_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Granted (0).
    Granted,
    /// `NOQUEUE` and not grantable (`-EAGAIN`).
    Again,
    /// Conversion deadlock, or a cancel made by the deadlock command (`-EDEADLK`).
    Deadlock,
    /// Cancelled (`-DLM_ECANCEL`).
    Cancel,
    /// Unlocked (`-DLM_EUNLOCK`).
    Unlock,
}

/// `EDEADLK` of `include/uapi/asm-generic/errno.h`; every architecture with Rust support in
/// Linux 7.2 uses the generic numbers.
const EDEADLK: i32 = 35;

/// `DLM_ECANCEL` of `include/uapi/linux/dlmconstants.h`.
pub(crate) const DLM_ECANCEL: i32 = 0x10001;

/// `DLM_EUNLOCK` of `include/uapi/linux/dlmconstants.h`.
pub(crate) const DLM_EUNLOCK: i32 = 0x10002;

impl Status {
    /// Returns the value of `sb_status`: 0 or a negative error number.
    pub(crate) fn as_errno(self) -> i32 {
        match self {
            Status::Granted => 0,
            Status::Again => EAGAIN.to_errno(),
            Status::Deadlock => -EDEADLK,
            Status::Cancel => -DLM_ECANCEL,
            Status::Unlock => -DLM_EUNLOCK,
        }
    }
}

/// KUnit tests (suite `rdlm_mode`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kunit_tests(rdlm_mode)]
mod tests {
    use super::*;

    /// Every mode.
    const ALL: [Mode; 6] = [Mode::Nl, Mode::Cr, Mode::Cw, Mode::Pr, Mode::Pw, Mode::Ex];

    /// Row 29: six modes, values 0..5, anything above is not a mode.
    #[test]
    fn row29_modes_and_values() {
        for (i, m) in ALL.iter().enumerate() {
            assert_eq!(usize::from(m.as_raw()), i);
            assert_eq!(Mode::from_raw(m.as_raw()), Some(*m));
        }
        assert_eq!(Mode::from_raw(6), None);
        assert_eq!(Mode::from_raw(255), None);
    }

    /// Row 29: the compatibility matrix, cell by cell, and its symmetry.
    #[test]
    fn row29_compat_matrix() {
        // Each row lists the modes compatible with the row's mode.
        let expect: [&[Mode]; 6] = [
            &ALL,
            &[Mode::Nl, Mode::Cr, Mode::Cw, Mode::Pr, Mode::Pw],
            &[Mode::Nl, Mode::Cr, Mode::Cw],
            &[Mode::Nl, Mode::Cr, Mode::Pr],
            &[Mode::Nl, Mode::Cr],
            &[Mode::Nl],
        ];
        for (g, row) in ALL.iter().zip(expect.iter()) {
            for r in ALL.iter() {
                let want = row.contains(r);
                assert_eq!(compatible(Some(*g), Some(*r)), want);
                assert_eq!(compatible(Some(*r), Some(*g)), want);
            }
            assert!(compatible(None, Some(*g)));
            assert!(compatible(Some(*g), None));
        }
    }

    /// Row 42: the LVB transfer table by old and new mode.
    #[test]
    fn row42_lvb_transfer_table() {
        use LvbOp::*;
        for to in ALL {
            assert_eq!(lvb_op(None, Some(to)), Read);
            assert_eq!(lvb_op(Some(Mode::Nl), Some(to)), Read);
            let from_ex = lvb_op(Some(Mode::Ex), Some(to));
            assert_eq!(from_ex, Write);
            let from_pw = lvb_op(Some(Mode::Pw), Some(to));
            assert_eq!(from_pw, if to == Mode::Ex { Read } else { Write });
        }
        assert_eq!(lvb_op(Some(Mode::Cr), Some(Mode::Nl)), Nothing);
        assert_eq!(lvb_op(Some(Mode::Cr), Some(Mode::Cr)), Read);
        assert_eq!(lvb_op(Some(Mode::Cw), Some(Mode::Cr)), Nothing);
        assert_eq!(lvb_op(Some(Mode::Cw), Some(Mode::Cw)), Read);
        assert_eq!(lvb_op(Some(Mode::Pr), Some(Mode::Cw)), Nothing);
        assert_eq!(lvb_op(Some(Mode::Pr), Some(Mode::Pr)), Read);
        assert_eq!(lvb_op(Some(Mode::Pr), Some(Mode::Ex)), Read);
        assert_eq!(lvb_op(Some(Mode::Ex), None), Nothing);
    }

    /// Row 33: exactly the QUECVT pairs fs/dlm allows.
    #[test]
    fn row33_quecvt_pairs() {
        let mut allowed = 0;
        for from in ALL {
            for to in ALL {
                let ok = quecvt_allowed(Some(from), to);
                let want = match from {
                    Mode::Pr => to == Mode::Cw || to > Mode::Pr,
                    _ => to > from,
                };
                assert_eq!(ok, want);
                if ok {
                    allowed += 1;
                }
            }
            assert!(!quecvt_allowed(None, from));
        }
        assert_eq!(allowed, 5 + 4 + 3 + 3 + 1);
    }

    /// Row 24: the raw status values of completions.
    #[test]
    fn row24_status_values() {
        assert_eq!(Status::Granted.as_errno(), 0);
        assert_eq!(Status::Again.as_errno(), -11);
        assert_eq!(Status::Deadlock.as_errno(), -35);
        assert_eq!(Status::Cancel.as_errno(), -0x10001);
        assert_eq!(Status::Unlock.as_errno(), -0x10002);
    }
}
