// SPDX-License-Identifier: GPL-2.0

//! The lockspace device, `/dev/misc/dlm_<name>`: locking through `write()`, callbacks
//! through `read()` and `poll()`.
//!
//! Each open file is one [`manager::Owner`] (the per-open-file process state: its locks,
//! its callback queue). Files share it through `dup()` and `fork()`, as they share the open
//! file description; closing the last reference releases or orphans its locks.
//!
//! This module only translates: requests are decoded by [`crate::request`] and results
//! encoded here; every rule lives in the lock core.

use crate::{
    chardev::{
        Device,
        OpenFile, //
    },
    control::{
        copy_request,
        read_version, //
    },
    ffi,
    lockspace::Space,
    manager,
    request::{
        self,
        Command,
        LockArgs, //
    },
    uapi, //
};
use core::{
    mem::size_of,
    sync::atomic::{
        AtomicBool,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    fs::{
        file,
        File, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    sync::{
        poll::PollTable,
        Arc, //
    },
    transmute::AsBytes, //
};

/// The lockspace device of one [`Space`].
pub(crate) struct SpaceDevice {
    /// The lockspace its files lock in.
    space: Arc<Space>,
}

impl SpaceDevice {
    /// Returns the device of `space`.
    pub(crate) fn new(space: Arc<Space>) -> Self {
        Self { space }
    }
}

impl Device for SpaceDevice {
    type Open = SpaceFile;

    const HAS_POLL: bool = true;

    fn open(&self, _file: &File) -> Result<Arc<SpaceFile>> {
        let owner = manager::Owner::new(&self.space.core)?;
        let file = Arc::new(
            SpaceFile {
                space: self.space.clone(),
                owner,
                compat: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?;
        self.space.opened();
        Ok(file)
    }
}

/// An open file of a lockspace device.
pub(crate) struct SpaceFile {
    /// The lockspace.
    space: Arc<Space>,
    /// The file's locks and callback queue.
    owner: Arc<manager::Owner>,
    /// Set for good by the first request in the 32-bit compat layout; results are then
    /// written in that layout too.
    compat: AtomicBool,
}

/// Converts decoded lock arguments into the lock core's.
fn lock_args<'a>(a: &LockArgs<'a>, name: &'a [u8]) -> manager::LockArgs<'a> {
    manager::LockArgs {
        mode: a.mode,
        flags: a.flags,
        lkid: a.lkid,
        xid: a.xid,
        cookies: manager::Cookies {
            cast_param: a.castparam,
            cast_addr: a.castaddr,
            bast_param: a.bastparam,
            bast_addr: a.bastaddr,
            lksb: a.lksb,
        },
        lvb: a.lvb,
        name,
        pid: ffi::current_tid(),
        limits: manager::Limits {
            per_owner: *crate::module_parameters::max_locks_per_file.value() as usize,
            per_lockspace: *crate::module_parameters::max_locks_per_lockspace.value() as usize,
        },
    }
}

impl SpaceFile {
    /// Carries out a `DLM_USER_LOCK` request; returns what `write()` returns.
    ///
    /// A new request over the module's limits (`max_locks_per_file`,
    /// `max_locks_per_lockspace`) fails with `ENOLCK`, and nothing is created; the lock core
    /// checks them as it gives out the lock id, so racing writers cannot pass them.
    fn lock(&self, a: &LockArgs<'_>) -> Result<usize> {
        let flags = a.flags;
        // A conversion names its lock by id; the name bytes are not looked at.
        let name = if flags & manager::lkf::CONVERT != 0 {
            &[][..]
        } else if flags & manager::lkf::ORPHAN != 0 && usize::from(a.namelen) > uapi::RESNAME_MAXLEN
        {
            // No resource has so long a name: after the core's own checks the adoption
            // finds no orphan (`ENOENT`), as in `fs/dlm`, which compares lengths first.
            &OVERLONG_NAME[..]
        } else {
            a.name()?
        };
        let lkid = self.owner.lock(&lock_args(a, name))?;
        Ok(lkid as usize)
    }

    /// Carries out a `DLM_USER_UNLOCK` request (an unlock or a cancel).
    fn unlock(&self, a: &LockArgs<'_>) -> Result<usize> {
        self.owner.unlock(&manager::UnlockArgs {
            lkid: a.lkid,
            flags: a.flags,
            cast_param: a.castparam,
            lksb: a.lksb,
            lvb: a.lvb,
        })?;
        Ok(0)
    }

    /// Encodes `cb` into `out` in the file's layout, appending the LVB only if `room`
    /// allows; returns the number of bytes to copy.
    fn encode(&self, cb: &manager::Callback, room: usize, out: &mut [u8; RESULT_MAX]) -> usize {
        let compat = self.compat.load(Ordering::Relaxed);
        let struct_len = if compat {
            size_of::<uapi::LockResult32>()
        } else {
            size_of::<uapi::LockResult>()
        };
        let lvb = cb.lvb().filter(|_| room >= struct_len + uapi::USER_LVB_LEN);
        let (lvb_offset, length) = match lvb {
            Some(_) => (struct_len, struct_len + uapi::USER_LVB_LEN),
            None => (0, struct_len),
        };
        // The lengths are below `RESULT_MAX`, so they fit in `u32`.
        let (lvb_offset, total) = (lvb_offset as u32, length as u32);
        if compat {
            let r = uapi::LockResult32 {
                version: uapi::DEVICE_VERSION.version,
                length: total,
                // A compat file only ever stored 32-bit cookies.
                user_astaddr: cb.user_addr() as u32,
                user_astparam: cb.user_param() as u32,
                user_lksb: cb.cookies.lksb as u32,
                lksb: uapi::Lksb32 {
                    sb_status: cb.status(),
                    sb_lkid: cb.lkid,
                    sb_flags: cb.sb_flags(),
                    ..Default::default()
                },
                bast_mode: cb.bast_mode(),
                lvb_offset,
                ..Default::default()
            };
            out[..struct_len].copy_from_slice(r.as_bytes());
        } else {
            let r = uapi::LockResult {
                version: uapi::DEVICE_VERSION.version,
                length: total,
                user_astaddr: cb.user_addr(),
                user_astparam: cb.user_param(),
                user_lksb: cb.cookies.lksb,
                lksb: uapi::Lksb {
                    sb_status: cb.status(),
                    sb_lkid: cb.lkid,
                    sb_flags: cb.sb_flags(),
                    ..Default::default()
                },
                bast_mode: cb.bast_mode(),
                lvb_offset,
                ..Default::default()
            };
            out[..struct_len].copy_from_slice(r.as_bytes());
        }
        if let Some(lvb) = lvb {
            out[struct_len..length].copy_from_slice(lvb);
        }
        length
    }
}

/// The largest result: a native result followed by an LVB.
/// A name one byte longer than any resource name, for adoptions whose `namelen` is.
static OVERLONG_NAME: [u8; uapi::RESNAME_MAXLEN + 1] = [0; uapi::RESNAME_MAXLEN + 1];

const RESULT_MAX: usize = size_of::<uapi::LockResult>() + uapi::USER_LVB_LEN;

impl OpenFile for SpaceFile {
    fn read(&self, file: &File, iov: &mut IovIterDest<'_>) -> Result<usize> {
        if let Some(version) = read_version(iov) {
            return version;
        }
        // `fs/dlm` accepts any buffer of a compat result's size and then writes a whole
        // native result into it; rdlm wants room for the result in the file's layout.
        let room = iov.len();
        let min = if self.compat.load(Ordering::Relaxed) {
            size_of::<uapi::LockResult32>()
        } else {
            size_of::<uapi::LockResult>()
        };
        if room < min {
            return Err(EINVAL);
        }
        let nonblock = file.flags() & file::flags::O_NONBLOCK != 0;
        let cb = self.owner.next_callback(nonblock)?;
        let mut out = [0u8; RESULT_MAX];
        let len = self.encode(&cb, room, &mut out);
        if iov.copy_to_iter(&out[..len]) != len {
            return Err(EFAULT);
        }
        Ok(len)
    }

    fn write(&self, _file: &File, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let mut buf = [0u8; uapi::WRITE_MAX_LEN];
        let len = copy_request(iov, &mut buf)?;
        let req = request::decode(&buf, len)?;
        if req.compat {
            self.compat.store(true, Ordering::Relaxed);
        }
        match req.command {
            Command::Lock(a) => self.lock(&a),
            Command::Unlock(a) => self.unlock(&a),
            Command::Deadlock(a) => self.owner.deadlock(a.lkid, a.flags).map(|()| 0),
            // rdlm is the only node: every node id names it, there is nowhere to forward to.
            Command::Purge { pid } => self.owner.purge(pid, ffi::current_tid()).map(|()| 0),
            // Lockspaces are managed on the control device; queries are not implemented.
            Command::CreateLockspace { .. }
            | Command::RemoveLockspace { .. }
            | Command::Unknown => Err(EINVAL),
        }
    }

    fn poll(&self, file: &File, table: &PollTable<'_>) -> u32 {
        table.register_wait(file, self.owner.poll_condvar());
        if self.owner.has_callbacks() {
            bindings::POLLIN | bindings::POLLRDNORM
        } else {
            0
        }
    }

    fn release(&self, _file: &File) {
        self.owner.close();
        self.space.released();
    }
}
