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
//! Taken in this order, never the other way round:
//!
//! 1. `Shard::inner` — one shard of a lockspace's resource table. Taken alone to find or
//!    create a resource, or first when removing a resource that has become empty.
//! 2. `Resource::inner` — one resource and all its locks. Never two at once.
//!
//! Leaf locks, held only while no other lock of the core is held:
//!
//! 3. `LockIds::inner` (lock-id bitmap), `Orphans::inner` (orphan list), `OwnerLocks::inner`
//!    (an owner's locks) and `OwnerEvents::inner` (an owner's callback queue).
//!
//! All of them are mutexes: the core runs in process context only (`write()`, `read()`,
//! `poll()`, `release()`), may allocate under them, and never takes a spinlock. Callbacks
//! are decided under `Resource::inner` and pushed to owners after it is released.

// TODO[CORE]: remove once the device layer uses the core.
#![allow(dead_code)]

mod blocking;
mod grant;
mod ids;
mod lockspace;
mod lvb;
mod mode;
mod ops;
mod owner;
mod resource;
mod table;
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
mod testing;

// TODO[CORE]: drop this `allow` once the device layer uses the core.
#[allow(unused_imports)]
pub(crate) use lockspace::Lockspace;
// TODO[CORE]: drop this `allow` once the device layer uses the core.
#[allow(unused_imports)]
pub(crate) use mode::{
    lkf,
    sbf,
    Mode,
    Status,
    LVB_LEN,
    NAME_MAX, //
};
// TODO[CORE]: drop this `allow` once the device layer uses the core.
#[allow(unused_imports)]
pub(crate) use ops::{
    LockArgs,
    UnlockArgs, //
};
// TODO[CORE]: drop this `allow` once the device layer uses the core.
#[allow(unused_imports)]
pub(crate) use owner::{
    Callback,
    Cookies,
    Event,
    Owner, //
};
