// SPDX-License-Identifier: GPL-2.0

//! Test doubles for the core's KUnit suites: recording owners and short-hand requests.
//!
//! A [`Fake`] is an [`Owner`] with fixed cookies derived from a tag, so that a test can tell
//! callbacks of different owners apart and check the cookies a callback carries. Its
//! helpers take typed modes and return the core's results unchanged. Nothing here asserts:
//! the tests do, after every guard is released.

use kernel::{
    prelude::*,
    sync::Arc, //
};

use super::{
    lockspace::Lockspace,
    mode::{
        lkf,
        Mode,
        Status,
        LVB_LEN, //
    },
    ops::{
        LockArgs,
        UnlockArgs, //
    },
    owner::{
        Callback,
        Cookies,
        Event,
        Owner, //
    },
    resource::Queue, //
};

/// Returns a new, empty lockspace.
pub(crate) fn space() -> Result<Arc<Lockspace>> {
    Lockspace::new()
}

/// An expected callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A completion for lock `.0` with status `.1` and `sb_flags` `.2` (value block not
    /// compared).
    Cast(u32, Status, u8),
    /// A blocking callback for lock `.0`, mode `.1`.
    Bast(u32, Mode),
}

/// A completion with no `sb_flags`.
pub(crate) fn cast(lkid: u32, status: Status) -> Ev {
    Ev::Cast(lkid, status, 0)
}

/// A blocking callback.
pub(crate) fn bast(lkid: u32, mode: Mode) -> Ev {
    Ev::Bast(lkid, mode)
}

/// Returns the expectation a callback meets.
pub(crate) fn ev_of(cb: &Callback) -> Ev {
    match cb.event {
        Event::Completion {
            status, sb_flags, ..
        } => Ev::Cast(cb.lkid, status, sb_flags),
        Event::Blocking { mode } => Ev::Bast(cb.lkid, mode),
    }
}

/// A snapshot of one lock's state, for checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Info {
    /// Granted mode.
    pub(crate) gr: Option<Mode>,
    /// Requested mode.
    pub(crate) rq: Option<Mode>,
    /// Queue.
    pub(crate) queue: Option<Queue>,
    /// Owner pid.
    pub(crate) pid: u32,
    /// Transaction id.
    pub(crate) xid: u64,
    /// Cookies.
    pub(crate) cookies: Cookies,
    /// The lock's value block.
    pub(crate) lvb: Option<[u8; LVB_LEN]>,
}

/// An owner that records its callbacks, with fixed cookies.
///
/// Dropping it closes the owner.
pub(crate) struct Fake {
    /// The owner.
    pub(crate) o: Arc<Owner>,
    /// Tag the cookies and pid derive from.
    pub(crate) tag: u64,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.o.close();
    }
}

impl Fake {
    /// Opens an owner of `ls`; cookies derive from `tag` (which must be non-zero).
    pub(crate) fn new(ls: &Arc<Lockspace>, tag: u64) -> Result<Fake> {
        Ok(Fake {
            o: Owner::new(ls)?,
            tag,
        })
    }

    /// Returns the owner's default cookies.
    pub(crate) fn cookies(&self) -> Cookies {
        let base = self.tag << 8;
        Cookies {
            cast_param: base | 1,
            cast_addr: base | 2,
            bast_param: base | 3,
            bast_addr: base | 4,
            lksb: base | 5,
        }
    }

    /// Returns the owner's default thread id.
    pub(crate) fn pid(&self) -> u32 {
        (self.tag as u32).wrapping_mul(100)
    }

    /// Runs a lock command with everything spelled out.
    pub(crate) fn lock_raw(
        &self,
        name: &[u8],
        mode: u8,
        flags: u32,
        lkid: u32,
        lvb: [u8; LVB_LEN],
        cookies: Cookies,
    ) -> Result<u32> {
        let args = LockArgs {
            mode,
            flags,
            lkid,
            xid: self.tag,
            cookies,
            lvb,
            name,
            pid: self.pid(),
            limits: crate::manager::Limits::NONE,
        };
        self.o.lock(&args)
    }

    /// Makes a new request.
    pub(crate) fn lock(&self, name: &[u8], mode: Mode, flags: u32) -> Result<u32> {
        self.lock_raw(name, mode.as_raw(), flags, 0, [0; LVB_LEN], self.cookies())
    }

    /// Converts lock `lkid`.
    pub(crate) fn convert(&self, lkid: u32, mode: Mode, flags: u32) -> Result {
        self.convert_lvb(lkid, mode, flags, [0; LVB_LEN])
    }

    /// Converts lock `lkid`, sending `lvb`.
    pub(crate) fn convert_lvb(
        &self,
        lkid: u32,
        mode: Mode,
        flags: u32,
        lvb: [u8; LVB_LEN],
    ) -> Result {
        let flags = flags | lkf::CONVERT;
        self.lock_raw(b"", mode.as_raw(), flags, lkid, lvb, self.cookies())
            .map(|_| ())
    }

    /// Adopts an orphan.
    pub(crate) fn adopt(&self, name: &[u8], mode: Mode, flags: u32) -> Result<u32> {
        let flags = flags | lkf::ORPHAN;
        self.lock_raw(name, mode.as_raw(), flags, 0, [0; LVB_LEN], self.cookies())
    }

    /// Runs an unlock command with everything spelled out.
    pub(crate) fn unlock_raw(
        &self,
        lkid: u32,
        flags: u32,
        cast_param: u64,
        lksb: u64,
        lvb: [u8; LVB_LEN],
    ) -> Result {
        let args = UnlockArgs {
            lkid,
            flags,
            cast_param,
            lksb,
            lvb,
        };
        self.o.unlock(&args)
    }

    /// Unlocks lock `lkid` with `flags`.
    pub(crate) fn unlock_flags(&self, lkid: u32, flags: u32) -> Result {
        let c = self.cookies();
        self.unlock_raw(lkid, flags, c.cast_param, c.lksb, [0; LVB_LEN])
    }

    /// Unlocks lock `lkid`.
    pub(crate) fn unlock(&self, lkid: u32) -> Result {
        self.unlock_flags(lkid, 0)
    }

    /// Cancels lock `lkid`'s pending operation.
    pub(crate) fn cancel(&self, lkid: u32) -> Result {
        self.unlock_flags(lkid, lkf::CANCEL)
    }

    /// Takes every queued callback.
    pub(crate) fn take(&self) -> KVec<Callback> {
        let mut out = KVec::new();
        while let Ok(cb) = self.o.next_callback(true) {
            if out.push(cb, GFP_KERNEL).is_err() {
                break;
            }
        }
        out
    }

    /// Takes every queued callback and returns whether they are exactly `want`, in order;
    /// prints both lists if not.
    pub(crate) fn received(&self, want: &[Ev]) -> bool {
        let got = self.take();
        let same =
            got.len() == want.len() && got.iter().zip(want.iter()).all(|(g, w)| ev_of(g) == *w);
        if !same {
            pr_err!("owner {}: expected {:?}\n", self.tag, want);
            for g in got.iter() {
                pr_err!("owner {}:      got {:?}\n", self.tag, g);
            }
        }
        same
    }

    /// Returns a snapshot of this owner's lock `lkid`, if it holds it.
    pub(crate) fn info(&self, lkid: u32) -> Option<Info> {
        let lr = self.o.find_lock(lkid)?;
        let inner = lr.resource.inner.lock();
        let l = inner.lk(lr.slot);
        let info = Info {
            gr: l.grmode,
            rq: l.rqmode,
            queue: l.queue,
            pid: l.pid,
            xid: l.xid,
            cookies: l.cookies,
            lvb: l.lvb.as_deref().copied(),
        };
        let valid = l.id == lkid;
        drop(inner);
        valid.then_some(info)
    }

    /// Returns whether this owner holds lock `lkid` granted in `mode` with nothing pending.
    pub(crate) fn granted(&self, lkid: u32, mode: Mode) -> bool {
        self.info(lkid)
            .is_some_and(|i| i.gr == Some(mode) && i.rq.is_none() && i.queue == Some(Queue::Grant))
    }

    /// Returns whether this owner's lock `lkid` waits (new request) for `mode`.
    pub(crate) fn waiting(&self, lkid: u32, mode: Mode) -> bool {
        self.info(lkid)
            .is_some_and(|i| i.gr.is_none() && i.rq == Some(mode) && i.queue == Some(Queue::Wait))
    }

    /// Returns whether this owner's lock `lkid` holds `from` and waits to convert to `to`.
    pub(crate) fn converting(&self, lkid: u32, from: Mode, to: Mode) -> bool {
        self.info(lkid).is_some_and(|i| {
            i.gr == Some(from) && i.rq == Some(to) && i.queue == Some(Queue::Convert)
        })
    }
}

/// Returns the resource value block of `name` in `ls`, and whether it is marked invalid.
pub(crate) fn resource_lvb(ls: &Lockspace, name: &[u8]) -> Option<(Option<[u8; LVB_LEN]>, bool)> {
    let r = ls.table.find(name)?;
    let inner = r.inner.lock();
    let out = (inner.lvb, inner.lvb_invalid);
    drop(inner);
    Some(out)
}

/// Returns a value block filled with `byte`.
pub(crate) fn lvb(byte: u8) -> [u8; LVB_LEN] {
    [byte; LVB_LEN]
}
