// SPDX-License-Identifier: GPL-2.0

//! Rust mirror of the DLM user-space ABI: `include/uapi/linux/dlm_device.h` and `dlm.h`.
//!
//! The structures here are laid out byte for byte like their C counterparts on x86_64
//! (native) and like the 32-bit compat variants that `fs/dlm` builds into a 64-bit kernel.
//! Pointers from user space are carried as plain integers: rdlm only stores and echoes
//! them, it never dereferences them. Every structure has a compile-time size check.
//!
//! C headers: [`include/uapi/linux/dlm_device.h`](srctree/include/uapi/linux/dlm_device.h),
//! [`include/uapi/linux/dlm.h`](srctree/include/uapi/linux/dlm.h).

use core::mem::{
    offset_of,
    size_of, //
};
use kernel::transmute::{
    AsBytes,
    FromBytes, //
};

/// Major number of the device ABI version.
pub(crate) const VERSION_MAJOR: u32 = 6;
/// Minor number of the device ABI version.
pub(crate) const VERSION_MINOR: u32 = 0;
/// Patch level of the device ABI version.
pub(crate) const VERSION_PATCH: u32 = 2;

/// Longest lockspace name, in bytes.
pub(crate) const LOCKSPACE_LEN: usize = 64;
/// Longest resource name, in bytes.
pub(crate) const RESNAME_MAXLEN: usize = 64;
/// Size of a lock value block as seen by user space.
pub(crate) const USER_LVB_LEN: usize = 32;

/// `DLM_USER_LOCK`: request, convert or adopt a lock.
pub(crate) const CMD_LOCK: u8 = 1;
/// `DLM_USER_UNLOCK`: unlock or cancel.
pub(crate) const CMD_UNLOCK: u8 = 2;
/// `DLM_USER_QUERY`: defined by the ABI but never implemented; rejected.
pub(crate) const CMD_QUERY: u8 = 3;
/// `DLM_USER_CREATE_LOCKSPACE`.
pub(crate) const CMD_CREATE_LOCKSPACE: u8 = 4;
/// `DLM_USER_REMOVE_LOCKSPACE`.
pub(crate) const CMD_REMOVE_LOCKSPACE: u8 = 5;
/// `DLM_USER_PURGE`: drop orphans or one's own locks.
pub(crate) const CMD_PURGE: u8 = 6;
/// `DLM_USER_DEADLOCK`: cancel with `-EDEADLK` as the completion status.
pub(crate) const CMD_DEADLOCK: u8 = 7;

/// `DLM_USER_LSFLG_FORCEFREE`: remove a lockspace even if it still holds locks.
pub(crate) const LSFLG_FORCEFREE: u32 = 2;

/// `struct dlm_device_version`, the answer to a 12-byte `read()`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct DeviceVersion {
    /// Major, minor and patch level.
    pub(crate) version: [u32; 3],
}

/// The fixed head of `struct dlm_write_request`, the same in both layouts.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct WriteHeader {
    /// ABI version the writer speaks; only major and minor are checked.
    pub(crate) version: [u32; 3],
    /// One of the `CMD_*` values.
    pub(crate) cmd: u8,
    /// Non-zero when the writer uses the native 64-bit layout.
    pub(crate) is64bit: u8,
    /// Padding.
    pub(crate) unused: [u8; 2],
}

/// `struct dlm_lock_params` in the native 64-bit layout.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LockParams {
    /// Requested mode, `DLM_LOCK_NL` (0) to `DLM_LOCK_EX` (5).
    pub(crate) mode: u8,
    /// Length of the resource name that follows the structure.
    pub(crate) namelen: u8,
    /// Padding.
    pub(crate) unused: u16,
    /// `DLM_LKF_*` flags.
    pub(crate) flags: u32,
    /// Lock id, for converts, unlocks and cancels.
    pub(crate) lkid: u32,
    /// Parent lock id; ignored.
    pub(crate) parent: u32,
    /// Transaction id; stored and shown in debug output only.
    pub(crate) xid: u64,
    /// Lock timeout; ignored since lock timeouts were removed.
    pub(crate) timeout: u64,
    /// Opaque user cookie returned with completion callbacks.
    pub(crate) castparam: u64,
    /// Opaque user address returned with completion callbacks.
    pub(crate) castaddr: u64,
    /// Opaque user cookie returned with blocking callbacks.
    pub(crate) bastparam: u64,
    /// Opaque user address returned with blocking callbacks.
    pub(crate) bastaddr: u64,
    /// Opaque address of the user's `struct dlm_lksb`, echoed in every result.
    pub(crate) lksb: u64,
    /// Lock value block.
    pub(crate) lvb: [u8; USER_LVB_LEN],
}

/// `struct dlm_lock_params32`: the compat layout, as a 64-bit kernel lays it out.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LockParams32 {
    /// See [`LockParams::mode`].
    pub(crate) mode: u8,
    /// See [`LockParams::namelen`].
    pub(crate) namelen: u8,
    /// Padding.
    pub(crate) unused: u16,
    /// See [`LockParams::flags`].
    pub(crate) flags: u32,
    /// See [`LockParams::lkid`].
    pub(crate) lkid: u32,
    /// See [`LockParams::parent`].
    pub(crate) parent: u32,
    /// See [`LockParams::xid`].
    pub(crate) xid: u64,
    /// See [`LockParams::timeout`].
    pub(crate) timeout: u64,
    /// See [`LockParams::castparam`].
    pub(crate) castparam: u32,
    /// See [`LockParams::castaddr`].
    pub(crate) castaddr: u32,
    /// See [`LockParams::bastparam`].
    pub(crate) bastparam: u32,
    /// See [`LockParams::bastaddr`].
    pub(crate) bastaddr: u32,
    /// See [`LockParams::lksb`].
    pub(crate) lksb: u32,
    /// See [`LockParams::lvb`].
    pub(crate) lvb: [u8; USER_LVB_LEN],
    /// Tail padding to the `u64` alignment of the structure.
    pub(crate) pad: u32,
}

/// `struct dlm_lspace_params` (without its trailing name).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct LspaceParams {
    /// `DLM_LSFL_*` on create, `DLM_USER_LSFLG_*` on remove.
    pub(crate) flags: u32,
    /// Misc minor of the lockspace device, on remove.
    pub(crate) minor: u32,
}

/// `struct dlm_purge_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct PurgeParams {
    /// Node whose locks to purge; 0 or the local node.
    pub(crate) nodeid: u32,
    /// Owner process id; 0 means every orphan.
    pub(crate) pid: u32,
}

/// `struct dlm_lksb` as copied into a result (native layout, padding made explicit).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Lksb {
    /// Operation status: 0 or a negative errno.
    pub(crate) sb_status: i32,
    /// Lock id.
    pub(crate) sb_lkid: u32,
    /// `DLM_SBF_*` flags.
    pub(crate) sb_flags: u8,
    /// Padding.
    pub(crate) pad: [u8; 7],
    /// Always 0 in results.
    pub(crate) sb_lvbptr: u64,
}

/// `struct dlm_lock_result` in the native layout.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct LockResult {
    /// Always the device version.
    pub(crate) version: [u32; 3],
    /// Bytes of the result including an appended LVB.
    pub(crate) length: u32,
    /// Callback address (`castaddr` or `bastaddr`).
    pub(crate) user_astaddr: u64,
    /// Callback argument (`castparam` or `bastparam`).
    pub(crate) user_astparam: u64,
    /// Address of the user's lksb.
    pub(crate) user_lksb: u64,
    /// Status block contents.
    pub(crate) lksb: Lksb,
    /// Mode of a blocking callback, 0 for completions.
    pub(crate) bast_mode: u8,
    /// Padding.
    pub(crate) unused: [u8; 3],
    /// Offset of the appended LVB, or 0 if none.
    pub(crate) lvb_offset: u32,
}

/// `struct dlm_lksb32` as copied into a compat result (padding made explicit).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Lksb32 {
    /// See [`Lksb::sb_status`].
    pub(crate) sb_status: i32,
    /// See [`Lksb::sb_lkid`].
    pub(crate) sb_lkid: u32,
    /// See [`Lksb::sb_flags`].
    pub(crate) sb_flags: u8,
    /// Padding.
    pub(crate) pad: [u8; 3],
    /// Always 0 in results.
    pub(crate) sb_lvbptr: u32,
}

/// `struct dlm_lock_result32`, the compat layout of [`LockResult`].
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct LockResult32 {
    /// See [`LockResult::version`].
    pub(crate) version: [u32; 3],
    /// See [`LockResult::length`].
    pub(crate) length: u32,
    /// See [`LockResult::user_astaddr`].
    pub(crate) user_astaddr: u32,
    /// See [`LockResult::user_astparam`].
    pub(crate) user_astparam: u32,
    /// See [`LockResult::user_lksb`].
    pub(crate) user_lksb: u32,
    /// See [`LockResult::lksb`].
    pub(crate) lksb: Lksb32,
    /// See [`LockResult::bast_mode`].
    pub(crate) bast_mode: u8,
    /// Padding.
    pub(crate) unused: [u8; 3],
    /// See [`LockResult::lvb_offset`].
    pub(crate) lvb_offset: u32,
}

/// Size of the native `struct dlm_write_request`, the largest request without a name.
pub(crate) const WRITE_REQUEST_LEN: usize = size_of::<WriteHeader>() + size_of::<LockParams>();
/// Size of the compat `struct dlm_write_request32`.
pub(crate) const WRITE_REQUEST32_LEN: usize = size_of::<WriteHeader>() + size_of::<LockParams32>();
/// Longest accepted write: a native request followed by the longest name.
pub(crate) const WRITE_MAX_LEN: usize = WRITE_REQUEST_LEN + RESNAME_MAXLEN;
/// Offset of the resource name in a compat lock request: `name[]` follows `lvb` directly,
/// before the structure's tail padding.
pub(crate) const COMPAT_NAME_OFFSET: usize =
    size_of::<WriteHeader>() + offset_of!(LockParams32, pad);
/// Offset of the lockspace name in a create request, in both layouts.
pub(crate) const LSPACE_NAME_OFFSET: usize = size_of::<WriteHeader>() + size_of::<LspaceParams>();

// The offsets user space depends on (dlm-semantics §1.3), checked at compile time.
const _: () = {
    assert!(size_of::<DeviceVersion>() == 12);
    assert!(size_of::<WriteHeader>() == 16);
    assert!(size_of::<LockParams>() == 104);
    assert!(offset_of!(LockParams, castparam) == 32);
    assert!(offset_of!(LockParams, lksb) == 64);
    assert!(offset_of!(LockParams, lvb) == 72);
    assert!(size_of::<LockParams32>() == 88);
    assert!(offset_of!(LockParams32, castaddr) == 36);
    assert!(offset_of!(LockParams32, lksb) == 48);
    assert!(offset_of!(LockParams32, lvb) == 52);
    assert!(WRITE_REQUEST_LEN == 120);
    assert!(WRITE_REQUEST32_LEN == 104);
    assert!(WRITE_MAX_LEN == 184);
    assert!(LSPACE_NAME_OFFSET == 24);
    assert!(COMPAT_NAME_OFFSET == 100);
    assert!(size_of::<PurgeParams>() == 8);
    assert!(size_of::<Lksb>() == 24);
    assert!(size_of::<LockResult>() == 72);
    assert!(offset_of!(LockResult, lksb) == 40);
    assert!(offset_of!(LockResult, bast_mode) == 64);
    assert!(offset_of!(LockResult, lvb_offset) == 68);
    assert!(size_of::<Lksb32>() == 16);
    assert!(size_of::<LockResult32>() == 52);
    assert!(offset_of!(LockResult32, lksb) == 28);
    assert!(offset_of!(LockResult32, bast_mode) == 44);
    assert!(offset_of!(LockResult32, lvb_offset) == 48);
};

// SAFETY: `DeviceVersion` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for DeviceVersion {}
// SAFETY: `DeviceVersion` is `repr(C)` integers with no padding.
unsafe impl AsBytes for DeviceVersion {}
// SAFETY: `WriteHeader` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for WriteHeader {}
// SAFETY: `LockParams` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for LockParams {}
// SAFETY: `LockParams32` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for LockParams32 {}
// SAFETY: `LspaceParams` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for LspaceParams {}
// SAFETY: `PurgeParams` holds only integers, so every bit pattern is valid.
unsafe impl FromBytes for PurgeParams {}
// SAFETY: `LockResult` is `repr(C)` integers whose padding is spelled out as fields (the
// size assertions above prove there is no implicit padding left).
unsafe impl AsBytes for LockResult {}
// SAFETY: As for `LockResult`: integers only, padding spelled out as fields.
unsafe impl AsBytes for LockResult32 {}

/// The version this module reports and accepts.
pub(crate) const DEVICE_VERSION: DeviceVersion = DeviceVersion {
    version: [VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH],
};
