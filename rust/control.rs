// SPDX-License-Identifier: GPL-2.0

//! The control device, `/dev/misc/dlm-control`: version queries and lockspace management.

use crate::{
    chardev::{
        Device,
        OpenFile, //
    },
    ffi,
    lockspace::Registry,
    request::{
        self,
        Command, //
    },
    uapi, //
};
use kernel::{
    fs::File,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    sync::Arc,
    transmute::AsBytes, //
};

/// Answers a `read()` on any DLM device whose buffer is exactly the size of a version.
///
/// Returns `None` when the read is not a version query.
pub(crate) fn read_version(iov: &mut IovIterDest<'_>) -> Option<Result<usize>> {
    let bytes = uapi::DEVICE_VERSION.as_bytes();
    if iov.len() != bytes.len() {
        return None;
    }
    Some(if iov.copy_to_iter(bytes) == bytes.len() {
        Ok(bytes.len())
    } else {
        Err(EFAULT)
    })
}

/// Copies a whole request from user space into `buf`, which must be zeroed.
///
/// Returns the request's length.
///
/// # Errors
///
/// `EINVAL` if the length is outside the accepted window, `EFAULT` if the copy fails.
pub(crate) fn copy_request(iov: &mut IovIterSource<'_>, buf: &mut [u8]) -> Result<usize> {
    let len = iov.len();
    if !request::length_ok(len) || len > buf.len() {
        return Err(EINVAL);
    }
    if iov.copy_from_iter(&mut buf[..len]) != len {
        return Err(EFAULT);
    }
    Ok(len)
}

/// The control device.
pub(crate) struct ControlDevice {
    /// The lockspaces it manages.
    registry: Arc<Registry>,
}

impl ControlDevice {
    /// Returns the control device managing the lockspaces of `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }
}

/// An open file of the control device.
pub(crate) struct ControlFile {
    /// The lockspaces it manages.
    registry: Arc<Registry>,
}

impl Device for ControlDevice {
    type Open = ControlFile;

    // As in `fs/dlm`, the control device has no `poll`: it always reads as ready.
    const HAS_POLL: bool = false;

    fn open(&self, _file: &File) -> Result<Arc<ControlFile>> {
        let registry = self.registry.clone();
        Ok(Arc::new(ControlFile { registry }, GFP_KERNEL)?)
    }
}

impl OpenFile for ControlFile {
    fn read(&self, _file: &File, iov: &mut IovIterDest<'_>) -> Result<usize> {
        // Only the version can be read from the control device.
        read_version(iov).unwrap_or(Err(EINVAL))
    }

    fn write(&self, _file: &File, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let mut buf = [0u8; uapi::WRITE_MAX_LEN];
        let len = copy_request(iov, &mut buf)?;
        let req = request::decode(&buf, len)?;
        match req.command {
            Command::CreateLockspace { flags, name } => {
                if !ffi::capable_sys_admin() {
                    return Err(EPERM);
                }
                Ok(self.registry.create(name, flags)? as usize)
            }
            Command::RemoveLockspace { flags, minor } => {
                if !ffi::capable_sys_admin() {
                    return Err(EPERM);
                }
                let force = flags & uapi::LSFLG_FORCEFREE != 0;
                self.registry.remove(minor, force).map(|()| 0)
            }
            // Locking needs a lockspace device; queries and unknown commands are refused.
            Command::Lock(_)
            | Command::Unlock(_)
            | Command::Deadlock(_)
            | Command::Purge { .. }
            | Command::Unknown => Err(EINVAL),
        }
    }
}
