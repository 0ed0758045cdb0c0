// SPDX-License-Identifier: GPL-2.0

//! The lock core: the single-node lock semantics of `fs/dlm`, without any user-space I/O.
//!
//! A [`Lockspace`] holds resources, found by name; a resource holds locks, each on exactly
//! one of its grant, convert or wait queue. An [`Owner`] stands for one open file of the
//! lockspace device: it makes requests, keeps the locks it owns for clean-up at close, and
//! receives their completion and blocking callbacks in a FIFO queue that a reader drains
//! (blocking or not) and `poll()` watches. The core stores the device's per-operation
//! [`Cookies`] (user-space pointers, as plain numbers) and hands them back with each
//! [`Callback`]; it never touches user memory, files or `UserSlice`.
//!
//! Every rule is documented in `Documentation/rdlm/core.rst`, next to the KUnit test that
//! proves it.
//!
//! # Lock order
//!
//! Taken in this order, never the other way round (also in `Documentation/rdlm/core.rst`):
//!
//! 1. `Shard::inner`: one shard of a lockspace's resource table. Taken alone to find or
//!    create a resource, and first when removing a resource that has become empty.
//! 2. `Resource::inner`: one resource, its queues, its locks and its callback buffer.
//!    Never two at once.
//! 3. Leaf locks, each taken only while no other lock of the core is held:
//!    `Lockspace::ids` (lock-id bitmap), `Lockspace::orphans` (orphan list),
//!    `Owner::locks` (an owner's lock ids) and `Owner::events` (an owner's callback queue).
//!
//! All of them are mutexes: the core runs in process context only (`write()`, `read()`,
//! `poll()`, `release()`), so it may allocate under them, and it takes no spinlock.
//! Callbacks are decided under `Resource::inner` and pushed to the owners after it is
//! released.

mod blocking;
mod check;
mod grant;
mod ids;
mod inspect;
mod lockspace;
mod lvb;
mod mode;
mod ops;
mod owner;
mod resource;
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
mod scenarios;
mod table;
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
mod testing;

pub(crate) use inspect::{
    LockView,
    ResourceView, //
};
pub(crate) use lockspace::Lockspace;
pub(crate) use mode::lkf;
pub(crate) use ops::{
    LockArgs,
    UnlockArgs, //
};
pub(crate) use owner::{
    Callback,
    Cookies,
    Owner, //
};
