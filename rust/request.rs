// SPDX-License-Identifier: GPL-2.0

//! Decoding of `write()` requests on the DLM devices.
//!
//! A request is checked in the same order `fs/dlm` checks it, so that bad input gets the
//! same errno: the length window first (`EINVAL`), then the ABI version (`EBADE`), then
//! the layout (native, or 32-bit compat when `is64bit` is 0). Which commands a device
//! accepts is up to the device; this module only says what was asked.

use crate::{
    errno::ebade,
    uapi::{
        self,
        LockParams,
        LockParams32,
        LspaceParams,
        PurgeParams,
        WriteHeader, //
    }, //
};
use core::mem::size_of;
use kernel::{
    prelude::*,
    transmute::FromBytes, //
};

/// Arguments of the lock commands (`LOCK`, `UNLOCK` and `DEADLOCK`), layout-independent.
#[derive(Clone, Copy)]
pub(crate) struct LockArgs<'a> {
    /// Requested mode as sent; validated by the lock core.
    pub(crate) mode: u8,
    /// Resource name length as sent.
    pub(crate) namelen: u8,
    /// `DLM_LKF_*` flags.
    pub(crate) flags: u32,
    /// Lock id for converts, unlocks and cancels.
    pub(crate) lkid: u32,
    /// Transaction id.
    pub(crate) xid: u64,
    /// Opaque user cookies, widened to 64 bits for compat writers.
    pub(crate) castparam: u64,
    /// See [`uapi::LockParams::castaddr`].
    pub(crate) castaddr: u64,
    /// See [`uapi::LockParams::bastparam`].
    pub(crate) bastparam: u64,
    /// See [`uapi::LockParams::bastaddr`].
    pub(crate) bastaddr: u64,
    /// See [`uapi::LockParams::lksb`].
    pub(crate) lksb: u64,
    /// Lock value block sent with the request.
    pub(crate) lvb: [u8; uapi::USER_LVB_LEN],
    /// The bytes written after the parameters; the resource name is its first `namelen`.
    pub(crate) tail: &'a [u8],
}

impl<'a> LockArgs<'a> {
    /// Returns the resource name of a new request.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `namelen` is longer than the name bytes actually written (`fs/dlm` reads
    /// past its buffer in that case) or than the longest resource name.
    pub(crate) fn name(&self) -> Result<&'a [u8]> {
        let len = usize::from(self.namelen);
        if len > uapi::RESNAME_MAXLEN {
            return Err(EINVAL);
        }
        self.tail.get(..len).ok_or(EINVAL)
    }

    fn from_native(p: &LockParams, tail: &'a [u8]) -> Self {
        Self {
            mode: p.mode,
            namelen: p.namelen,
            flags: p.flags,
            lkid: p.lkid,
            xid: p.xid,
            castparam: p.castparam,
            castaddr: p.castaddr,
            bastparam: p.bastparam,
            bastaddr: p.bastaddr,
            lksb: p.lksb,
            lvb: p.lvb,
            tail,
        }
    }

    fn from_compat(p: &LockParams32, tail: &'a [u8]) -> Self {
        Self {
            mode: p.mode,
            namelen: p.namelen,
            flags: p.flags,
            lkid: p.lkid,
            xid: p.xid,
            castparam: p.castparam.into(),
            castaddr: p.castaddr.into(),
            bastparam: p.bastparam.into(),
            bastaddr: p.bastaddr.into(),
            lksb: p.lksb.into(),
            lvb: p.lvb,
            tail,
        }
    }
}

/// What a request asks for.
pub(crate) enum Command<'a> {
    /// `DLM_USER_LOCK`: a new lock, a conversion or an adoption.
    Lock(LockArgs<'a>),
    /// `DLM_USER_UNLOCK`: an unlock or a cancel.
    Unlock(LockArgs<'a>),
    /// `DLM_USER_DEADLOCK`: a cancel completing with `-EDEADLK`.
    Deadlock(LockArgs<'a>),
    /// `DLM_USER_CREATE_LOCKSPACE`.
    CreateLockspace {
        /// `DLM_LSFL_*` flags.
        flags: u32,
        /// The name up to its first NUL byte (not yet length-checked).
        name: &'a [u8],
    },
    /// `DLM_USER_REMOVE_LOCKSPACE`.
    RemoveLockspace {
        /// `DLM_USER_LSFLG_*` flags.
        flags: u32,
        /// Minor of the lockspace device.
        minor: u32,
    },
    /// `DLM_USER_PURGE`. Its node id is not decoded: on a single node every node id is the
    /// local one.
    Purge {
        /// Owner process id, 0 for all orphans.
        pid: u32,
    },
    /// `DLM_USER_QUERY`, defined but never implemented, or a number no command has.
    Unknown,
}

/// A decoded `write()` request.
pub(crate) struct Request<'a> {
    /// The writer used the 32-bit compat layout.
    pub(crate) compat: bool,
    /// The command and its arguments.
    pub(crate) command: Command<'a>,
}

/// Shortest accepted write: the compat request when compat tasks exist, else the native one.
const WRITE_MIN_LEN: usize = if cfg!(CONFIG_COMPAT) {
    uapi::WRITE_REQUEST32_LEN
} else {
    uapi::WRITE_REQUEST_LEN
};

/// Returns whether a writer speaking `version` is understood.
fn version_ok(version: &[u32; 3]) -> bool {
    // Writers of an older minor would be accepted too; with minor 0 there are none.
    version[0] == uapi::VERSION_MAJOR && version[1] == uapi::VERSION_MINOR
}

/// Reads a `T` at `offset` of `buf`; `buf` is zero-extended to a full request beforehand.
fn read_at<T: FromBytes>(buf: &[u8], offset: usize) -> Result<T> {
    buf.get(offset..offset + size_of::<T>())
        .and_then(T::from_bytes_copy)
        .ok_or(EINVAL)
}

/// Returns `bytes` up to (not including) its first NUL byte.
fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// Reads the lock parameters of a request in the given layout.
fn lock_args<'a>(buf: &'a [u8], compat: bool, tail: &'a [u8]) -> Result<LockArgs<'a>> {
    let at = size_of::<WriteHeader>();
    Ok(if compat {
        LockArgs::from_compat(&read_at(buf, at)?, tail)
    } else {
        LockArgs::from_native(&read_at(buf, at)?, tail)
    })
}

/// Returns whether `len` bytes is an acceptable `write()` size for a request.
pub(crate) fn length_ok(len: usize) -> bool {
    (WRITE_MIN_LEN..=uapi::WRITE_MAX_LEN).contains(&len)
}

/// Decodes the `len` bytes of a request held in `buf`.
///
/// `buf` must be at least [`uapi::WRITE_MAX_LEN`] bytes long and zero beyond `len`, as the
/// device copies requests into a zeroed buffer of that size.
///
/// # Errors
///
/// - `EINVAL` if `len` is outside the accepted window, or `buf` is too short;
/// - `EBADE` if the writer's ABI version is not one this module speaks.
pub(crate) fn decode(buf: &[u8], len: usize) -> Result<Request<'_>> {
    if !length_ok(len) || buf.len() < uapi::WRITE_MAX_LEN {
        return Err(EINVAL);
    }
    let header: WriteHeader = read_at(buf, 0)?;
    if !version_ok(&header.version) {
        return Err(ebade());
    }

    let compat = cfg!(CONFIG_COMPAT) && header.is64bit == 0;
    let body = size_of::<WriteHeader>();
    // The name bytes of a lock request. A native writer's follow its 120-byte request. A
    // compat writer's start where `name[]` sits in the compat structure (offset 100, before
    // its tail padding) and count as many bytes as were written past the padded 104-byte
    // request, as `fs/dlm` takes them.
    let tail = if compat {
        let extra = len.saturating_sub(uapi::WRITE_REQUEST32_LEN);
        &buf[uapi::COMPAT_NAME_OFFSET..uapi::COMPAT_NAME_OFFSET + extra]
    } else {
        &buf[uapi::WRITE_REQUEST_LEN.min(len)..len]
    };
    let lock_args = || lock_args(buf, compat, tail);

    let command = match header.cmd {
        uapi::CMD_LOCK => Command::Lock(lock_args()?),
        uapi::CMD_UNLOCK => Command::Unlock(lock_args()?),
        uapi::CMD_DEADLOCK => Command::Deadlock(lock_args()?),
        uapi::CMD_CREATE_LOCKSPACE | uapi::CMD_REMOVE_LOCKSPACE => {
            let params: LspaceParams = read_at(buf, body)?;
            // A compat writer's name is as long as what it wrote past its (shorter)
            // request, and is read from the same offset as a native writer's.
            let name_end = if compat {
                uapi::LSPACE_NAME_OFFSET + tail.len()
            } else {
                len
            };
            let name = until_nul(&buf[uapi::LSPACE_NAME_OFFSET..name_end]);
            if header.cmd == uapi::CMD_CREATE_LOCKSPACE {
                Command::CreateLockspace {
                    flags: params.flags,
                    name,
                }
            } else {
                Command::RemoveLockspace {
                    flags: params.flags,
                    minor: params.minor,
                }
            }
        }
        uapi::CMD_PURGE => {
            let params: PurgeParams = read_at(buf, body)?;
            Command::Purge { pid: params.pid }
        }
        uapi::CMD_QUERY => Command::Unknown,
        _ => Command::Unknown,
    };
    Ok(Request { compat, command })
}

#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kunit_tests(rdlm_request)]
mod tests {
    use super::*;

    /// A zeroed request buffer with a valid header for `cmd`.
    fn request(cmd: u8, is64bit: u8) -> [u8; uapi::WRITE_MAX_LEN] {
        let mut buf = [0u8; uapi::WRITE_MAX_LEN];
        put_u32(&mut buf, 0, uapi::VERSION_MAJOR);
        put_u32(&mut buf, 4, uapi::VERSION_MINOR);
        put_u32(&mut buf, 8, uapi::VERSION_PATCH);
        buf[12] = cmd;
        buf[13] = is64bit;
        buf
    }

    fn put_u32(buf: &mut [u8], at: usize, v: u32) {
        buf[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    }

    fn put_u64(buf: &mut [u8], at: usize, v: u64) {
        buf[at..at + 8].copy_from_slice(&v.to_ne_bytes());
    }

    fn errno(r: Result<Request<'_>>) -> i32 {
        match r {
            Ok(_) => 0,
            Err(e) => e.to_errno(),
        }
    }

    #[test]
    fn length_window() {
        let buf = request(uapi::CMD_PURGE, 1);
        assert_eq!(errno(decode(&buf, WRITE_MIN_LEN - 1)), EINVAL.to_errno());
        assert_eq!(
            errno(decode(&buf, uapi::WRITE_MAX_LEN + 1)),
            EINVAL.to_errno()
        );
        assert_eq!(errno(decode(&buf, 0)), EINVAL.to_errno());
        assert_eq!(errno(decode(&buf, WRITE_MIN_LEN)), 0);
        assert_eq!(errno(decode(&buf, uapi::WRITE_MAX_LEN)), 0);
        assert_eq!(errno(decode(&buf[..100], 120)), EINVAL.to_errno());
    }

    #[test]
    fn compat_minimum_is_104() {
        assert_eq!(WRITE_MIN_LEN, if cfg!(CONFIG_COMPAT) { 104 } else { 120 });
    }

    #[test]
    fn version_rules() {
        let mut buf = request(uapi::CMD_PURGE, 1);
        // The patch level is ignored, and older minors are accepted.
        put_u32(&mut buf, 8, 77);
        assert_eq!(errno(decode(&buf, 120)), 0);
        put_u32(&mut buf, 4, 1);
        assert_eq!(errno(decode(&buf, 120)), ebade().to_errno());
        put_u32(&mut buf, 4, 0);
        put_u32(&mut buf, 0, 5);
        assert_eq!(errno(decode(&buf, 120)), ebade().to_errno());
        put_u32(&mut buf, 0, 7);
        assert_eq!(errno(decode(&buf, 120)), ebade().to_errno());
    }

    #[test]
    fn length_checked_before_version() {
        let mut buf = request(uapi::CMD_PURGE, 1);
        put_u32(&mut buf, 0, 1);
        assert_eq!(errno(decode(&buf, 20)), EINVAL.to_errno());
    }

    #[test]
    fn native_lock_fields() -> Result {
        let mut buf = request(uapi::CMD_LOCK, 1);
        buf[16] = 5;
        buf[17] = 3;
        put_u32(&mut buf, 20, 0x8);
        put_u32(&mut buf, 24, 42);
        put_u64(&mut buf, 32, 0x1234);
        put_u64(&mut buf, 48, 0x1111);
        put_u64(&mut buf, 56, 0x2222);
        put_u64(&mut buf, 64, 0x3333);
        put_u64(&mut buf, 72, 0x4444);
        put_u64(&mut buf, 80, 0x5555);
        buf[88] = 0xaa;
        buf[119] = 0xbb;
        buf[120..123].copy_from_slice(b"res");
        let req = decode(&buf, 123)?;
        assert!(!req.compat);
        let Command::Lock(args) = req.command else {
            return Err(EINVAL);
        };
        assert_eq!(args.mode, 5);
        assert_eq!(args.flags, 0x8);
        assert_eq!(args.lkid, 42);
        assert_eq!(args.xid, 0x1234);
        assert_eq!(args.castparam, 0x1111);
        assert_eq!(args.castaddr, 0x2222);
        assert_eq!(args.bastparam, 0x3333);
        assert_eq!(args.bastaddr, 0x4444);
        assert_eq!(args.lksb, 0x5555);
        assert_eq!(args.lvb[0], 0xaa);
        assert_eq!(args.lvb[31], 0xbb);
        assert_eq!(args.name()?, b"res");
        Ok(())
    }

    #[test]
    fn compat_lock_fields() -> Result {
        let mut buf = request(uapi::CMD_LOCK, 0);
        buf[16] = 3;
        buf[17] = 2;
        put_u32(&mut buf, 48, 0x11);
        put_u32(&mut buf, 52, 0x22);
        put_u32(&mut buf, 56, 0x33);
        put_u32(&mut buf, 60, 0x44);
        put_u32(&mut buf, 64, 0xfffffff0);
        buf[68] = 0xcc;
        buf[100..102].copy_from_slice(b"ab");
        let req = decode(&buf, 106)?;
        if !cfg!(CONFIG_COMPAT) {
            return Ok(());
        }
        assert!(req.compat);
        let Command::Lock(args) = req.command else {
            return Err(EINVAL);
        };
        assert_eq!(args.mode, 3);
        assert_eq!(args.castparam, 0x11);
        assert_eq!(args.castaddr, 0x22);
        assert_eq!(args.bastparam, 0x33);
        assert_eq!(args.bastaddr, 0x44);
        assert_eq!(args.lksb, 0xfffffff0);
        assert_eq!(args.lvb[0], 0xcc);
        assert_eq!(args.name()?, b"ab");
        Ok(())
    }

    #[test]
    fn name_longer_than_written_is_rejected() -> Result {
        let mut buf = request(uapi::CMD_LOCK, 1);
        buf[17] = 64;
        let req = decode(&buf, 124)?;
        let Command::Lock(args) = req.command else {
            return Err(EINVAL);
        };
        assert_eq!(
            args.name().err().map(|e| e.to_errno()),
            Some(EINVAL.to_errno())
        );
        Ok(())
    }

    #[test]
    fn lockspace_name_stops_at_nul() -> Result {
        let mut buf = request(uapi::CMD_CREATE_LOCKSPACE, 1);
        put_u32(&mut buf, 16, 0x8);
        buf[24..28].copy_from_slice(b"demo");
        let req = decode(&buf, 130)?;
        let Command::CreateLockspace { flags, name } = req.command else {
            return Err(EINVAL);
        };
        assert_eq!(flags, 0x8);
        assert_eq!(name, b"demo");
        Ok(())
    }

    #[test]
    fn remove_and_purge_fields() -> Result {
        let mut buf = request(uapi::CMD_REMOVE_LOCKSPACE, 1);
        put_u32(&mut buf, 16, uapi::LSFLG_FORCEFREE);
        put_u32(&mut buf, 20, 61);
        let req = decode(&buf, 120)?;
        let Command::RemoveLockspace { flags, minor } = req.command else {
            return Err(EINVAL);
        };
        assert_eq!((flags, minor), (uapi::LSFLG_FORCEFREE, 61));

        let mut buf = request(uapi::CMD_PURGE, 1);
        put_u32(&mut buf, 16, 1);
        put_u32(&mut buf, 20, 999);
        let req = decode(&buf, 120)?;
        let Command::Purge { pid } = req.command else {
            return Err(EINVAL);
        };
        assert_eq!(pid, 999);
        Ok(())
    }

    #[test]
    fn query_and_unknown_commands() -> Result {
        for cmd in [0u8, uapi::CMD_QUERY, 8, 255] {
            let buf = request(cmd, 1);
            let req = decode(&buf, 120)?;
            let unknown = matches!(req.command, Command::Unknown);
            assert!(unknown);
        }
        Ok(())
    }
}
