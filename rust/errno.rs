// SPDX-License-Identifier: GPL-2.0

//! Error numbers the DLM ABI uses that the `kernel` crate does not name.

use kernel::{
    bindings,
    error::Error, //
};

/// Builds an [`Error`] from a positive errno constant of the bindings.
fn from_positive(errno: u32) -> Error {
    // Every constant passed here is a valid errno below `MAX_ERRNO`.
    Error::from_errno(-(errno as i32))
}

/// `EBADE`: a request in an ABI version this module does not speak.
pub(crate) fn ebade() -> Error {
    from_positive(bindings::EBADE)
}

/// `ENOLCK`: a lock request over the configured limit of locks.
pub(crate) fn enolck() -> Error {
    from_positive(bindings::ENOLCK)
}
