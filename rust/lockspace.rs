// SPDX-License-Identifier: GPL-2.0

//! Lockspaces as the control device sees them: creation, joining and removal, each with its
//! `dlm_<name>` misc device.
//!
//! The [`Registry`] owns every lockspace. A lockspace counts its creations: every create of
//! an existing name adds one, every remove takes one, and only the remove that takes the
//! count to zero really removes it. That final remove refuses (`EBUSY`) while locks exist,
//! unless forced; it deregisters the device so that no new file can open it, frees every
//! lock, and then waits until the files already open are closed, as `fs/dlm` does.
//!
//! # Lock order
//!
//! 1. `Registry::inner`.
//! 2. The misc core's mutex (taken by `misc_register`, `misc_deregister`, and around
//!    `open()` of a misc device).
//! 3. `Space::openers`.
//! 4. `Spaces::list` (`debugfs.rs`): taken under `Registry::inner` when a lockspace gets its
//!    debugfs files, and alone otherwise.
//!
//! The device's `open()` runs under the misc core's mutex, so it must never take
//! `Registry::inner`: it only touches its [`Space`].

use crate::{
    chardev::{
        FileOps,
        Registration, //
    },
    debugfs,
    device::SpaceDevice,
    manager,
    uapi, //
};
use kernel::{
    new_condvar,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        CondVar,
        Mutex, //
    }, //
};

/// `DLM_LSFL_NEWEXCL`: fail with `EEXIST` if the lockspace exists.
const LSFL_NEWEXCL: u32 = 0x8;
/// The kernel-only `DLM_LSFL_SOFTIRQ` flag, refused from user space.
const LSFL_SOFTIRQ: u32 = 0x10;
/// Prefix of every lockspace device's name.
const DEVICE_PREFIX: &[u8] = b"dlm_";

/// One lockspace: its lock core and what its open files share.
#[pin_data]
pub(crate) struct Space {
    /// The lockspace name, 1 to 64 bytes.
    name: KVec<u8>,
    /// The lock core's lockspace.
    pub(crate) core: Arc<manager::Lockspace>,
    /// Number of open files of the lockspace device.
    #[pin]
    openers: Mutex<usize>,
    /// Signalled when `openers` drops to zero.
    #[pin]
    closed: CondVar,
}

impl Space {
    /// Returns the lockspace name.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// Counts a new open file of the lockspace device.
    pub(crate) fn opened(&self) {
        *self.openers.lock() += 1;
    }

    /// Counts the release of an open file of the lockspace device.
    pub(crate) fn released(&self) {
        let mut openers = self.openers.lock();
        *openers -= 1;
        if *openers == 0 {
            self.closed.notify_all();
        }
    }

    /// Waits until no file of the lockspace device is open, or a signal arrives.
    fn wait_for_openers(&self) {
        let mut openers = self.openers.lock();
        while *openers != 0 {
            if self.closed.wait_interruptible(&mut openers) {
                break;
            }
        }
    }
}

/// A lockspace in the registry.
struct Entry {
    /// The lockspace.
    space: Arc<Space>,
    /// Creations not yet matched by a removal; at least 1.
    creations: u32,
    /// The `dlm_<name>` misc device.
    device: Pin<KBox<Registration<SpaceDevice>>>,
    /// The lockspace's debugfs files.
    debug: debugfs::SpaceFiles,
}

/// Every lockspace of the module.
#[pin_data]
pub(crate) struct Registry {
    /// The lockspaces; few enough that a vector searched by name or minor will do.
    #[pin]
    inner: Mutex<KVec<Entry>>,
    /// File operations of the lockspace devices.
    fops: &'static FileOps,
    /// The debugfs files.
    debug: debugfs::Debug,
}

impl Registry {
    /// Creates an empty registry whose devices will use `fops`.
    pub(crate) fn new(fops: &'static FileOps) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- new_mutex!(KVec::new(), "Registry::inner"),
            fops,
            debug: debugfs::Debug::new()?,
        }? Error)
    }

    /// Creates the lockspace `name`, or joins it if it exists, and returns its device minor.
    ///
    /// # Errors
    ///
    /// - `EINVAL`: `flags` has the kernel-only softirq flag, or `name` is empty or longer
    ///   than 64 bytes;
    /// - `EEXIST`: the lockspace exists and `flags` has `DLM_LSFL_NEWEXCL`;
    /// - `ENOMEM`, or what registering the misc device returns (`EBUSY` when another misc
    ///   device already has the name).
    pub(crate) fn create(&self, name: &[u8], flags: u32) -> Result<u32> {
        if flags & LSFL_SOFTIRQ != 0 || name.is_empty() || name.len() > uapi::LOCKSPACE_LEN {
            return Err(EINVAL);
        }
        let mut spaces = self.inner.lock();
        if let Some(entry) = spaces.iter_mut().find(|e| e.space.name() == name) {
            if flags & LSFL_NEWEXCL != 0 {
                return Err(EEXIST);
            }
            entry.creations += 1;
            return Ok(entry.device.minor());
        }

        let mut stored = KVec::with_capacity(name.len(), GFP_KERNEL)?;
        stored.extend_from_slice(name, GFP_KERNEL)?;
        let core = manager::Lockspace::new()?;
        let space = Arc::pin_init(
            pin_init!(Space {
                name: stored,
                core,
                openers <- new_mutex!(0, "Space::openers"),
                closed <- new_condvar!("Space::closed"),
            }),
            GFP_KERNEL,
        )?;
        let mut device_name = KVec::with_capacity(DEVICE_PREFIX.len() + name.len(), GFP_KERNEL)?;
        device_name.extend_from_slice(DEVICE_PREFIX, GFP_KERNEL)?;
        device_name.extend_from_slice(name, GFP_KERNEL)?;
        spaces.reserve(1, GFP_KERNEL)?;
        let device =
            Registration::register(&device_name, self.fops, SpaceDevice::new(space.clone()))?;
        let minor = device.minor();
        let debug = self.debug.add(name, &space.core)?;
        spaces.push(
            Entry {
                space,
                creations: 1,
                device,
                debug,
            },
            GFP_KERNEL,
        )?;
        Ok(minor)
    }

    /// Takes back one creation of the lockspace whose device has `minor`.
    ///
    /// The final removal deregisters the device, frees every lock and then waits until the
    /// device's open files are closed (a signal ends the wait early).
    ///
    /// # Errors
    ///
    /// - `ENOENT`: no lockspace device has that minor;
    /// - `EBUSY`: this is the final removal, the lockspace still holds locks and `force` is
    ///   false.
    pub(crate) fn remove(&self, minor: u32, force: bool) -> Result {
        let entry = {
            let mut spaces = self.inner.lock();
            let index = spaces
                .iter()
                .position(|e| e.device.minor() == minor)
                .ok_or(ENOENT)?;
            let entry = &mut spaces[index];
            if entry.creations > 1 {
                entry.creations -= 1;
                return Ok(());
            }
            if !force && entry.space.core.lock_count() != 0 {
                return Err(EBUSY);
            }
            spaces.remove(index)?
        };
        // Deregister first, so that no new file opens the lockspace.
        let Entry {
            space,
            device,
            debug,
            ..
        } = entry;
        drop(device);
        drop(debug);
        space.core.release_all();
        space.wait_for_openers();
        Ok(())
    }
}
