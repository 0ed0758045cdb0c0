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

/// Returns the id of the calling thread, as its own pid namespace numbers it.
pub(crate) fn current_tid() -> u32 {
    // SAFETY: `get_current` returns the running task, which stays valid while it runs this
    // code; `__task_pid_nr_ns` accepts a null namespace (the caller's own).
    let tid = unsafe {
        bindings::__task_pid_nr_ns(
            bindings::get_current(),
            bindings::pid_type_PIDTYPE_PID,
            core::ptr::null_mut(),
        )
    };
    tid.unsigned_abs()
}
