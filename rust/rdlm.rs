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
    prelude::*,
    sync::Arc, //
};

mod chardev;
mod control;
mod debugfs;
mod device;
mod errno;
mod ffi;
mod lockspace;
mod manager;
mod request;
mod uapi;

module! {
    type: Rdlm,
    name: "rdlm",
    authors: ["The rdlm developers"],
    description: "Distributed lock manager user interface, single node",
    license: "GPL",
    params: {
        max_locks_per_file: u32 {
            default: 1048576,
            description: "Most locks one open file of a lockspace device may hold",
        },
        max_locks_per_lockspace: u32 {
            default: 4194304,
            description: "Most locks one lockspace may hold",
        },
    },
}

/// File operations of the control device.
static CONTROL_FOPS: chardev::FileOps =
    chardev::FileOps::new::<control::ControlDevice>(&raw mut bindings::__this_module);

/// File operations of every lockspace device.
static SPACE_FOPS: chardev::FileOps =
    chardev::FileOps::new::<device::SpaceDevice>(&raw mut bindings::__this_module);

/// The module: owns the control device and, through the registry, every lockspace.
struct Rdlm {
    /// Registration of `dlm-control`; dropped first, so that no new request arrives.
    _control: Pin<KBox<chardev::Registration<control::ControlDevice>>>,
    /// The lockspaces.
    _registry: Arc<lockspace::Registry>,
}

impl kernel::Module for Rdlm {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = Arc::pin_init(lockspace::Registry::new(&SPACE_FOPS), GFP_KERNEL)?;
        let control = chardev::Registration::register(
            b"dlm-control",
            &CONTROL_FOPS,
            control::ControlDevice::new(registry.clone()),
        )?;
        Ok(Self {
            _control: control,
            _registry: registry,
        })
    }
}
