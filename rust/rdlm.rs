// SPDX-License-Identifier: GPL-2.0

//! rdlm: the Linux distributed lock manager's user-space interface, for a single node.
//!
//! rdlm offers the devices of `fs/dlm`'s user interface with the same ABI, so that
//! unmodified libdlm programs run on it without a cluster stack:
//!
//! - `dlm-control`: version queries, creation and removal of lockspaces;
//! - `dlm_<lockspace>`: locking in one lockspace.
//!
//! The code is layered: [`uapi`] mirrors the ABI, [`request`] decodes writes, [`chardev`]
//! registers the misc devices, and the device modules turn requests into calls on the
//! lock core.

use kernel::{
    bindings,
    prelude::*, //
};

mod chardev;
mod control;
mod errno;
mod ffi;
mod request;
mod uapi;

module! {
    type: Rdlm,
    name: "rdlm",
    authors: ["The rdlm developers"],
    description: "Distributed lock manager user interface, single node",
    license: "GPL",
}

/// File operations of the control device.
static CONTROL_FOPS: chardev::FileOps =
    chardev::FileOps::new::<control::ControlDevice>(&raw mut bindings::__this_module);

/// The module: owns the control device for as long as it is loaded.
struct Rdlm {
    /// Registration of `dlm-control`.
    _control: Pin<KBox<chardev::Registration<control::ControlDevice>>>,
}

impl kernel::Module for Rdlm {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let control =
            chardev::Registration::register(b"dlm-control", &CONTROL_FOPS, control::ControlDevice)?;
        Ok(Self { _control: control })
    }
}
