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
//!    create a resource, and first when caching a resource that has become empty (the
//!    resource it evicts is then locked under it).
//! 2. `Resource::inner`: one resource, its queues and its locks. Never two at once.
//! 3. `Lockspace::locks` (the lock table: lock ids, where each lock lives, each owner's
//!    locks) and `Owner::events` (an owner's callback queue): taken alone or under
//!    `Resource::inner`, never together. A lock's table entry changes with its slot, and a
//!    callback is queued to its owner as it is decided.
//! 4. `Lockspace::orphans` (orphan list): taken only while no other lock of the core is
//!    held.
//!
//! All of them are mutexes: the core runs in process context only (`write()`, `read()`,
//! `poll()`, `release()`), so it may allocate under them, and it takes no spinlock.

mod blocking;
mod check;
mod grant;
mod ids;
mod inspect;
mod locks;
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
pub(crate) use locks::Limits;
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
