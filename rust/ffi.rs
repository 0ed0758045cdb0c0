// SPDX-License-Identifier: GPL-2.0

//! The few kernel services rdlm needs that the `kernel` crate does not wrap yet.
//!
//! Everything `unsafe` in rdlm lives here, behind safe functions.

use kernel::bindings;

/// Returns whether the current task has `CAP_SYS_ADMIN` in the initial user namespace.
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` only inspects the current task's credentials and may be called
    // from any process context.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}
