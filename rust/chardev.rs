// SPDX-License-Identifier: GPL-2.0

//! Misc devices whose file operations pin the module and support `poll()`.
//!
//! The `kernel` crate's `MiscDevice` of Linux 7.2 builds a `file_operations` table with no
//! `owner` (so an open file does not keep the module loaded, and `rmmod` would free the
//! code an open file still calls) and with no `poll` hook. rdlm needs both, so it
//! registers its misc devices through this module instead:
//!
//! - [`FileOps::new`] builds a table for a [`Device`] type, with `owner` set to this module,
//!   `poll` when the device asks for it and `noop_llseek` as `fs/dlm` has; the table lives
//!   in a `static`, so it outlives every open file.
//! - [`Registration`] registers one misc device with such a table. Its `open` finds the
//!   registration with `container_of!` and asks the [`Device`] for the per-file state,
//!   an [`Arc`] kept in `file->private_data` until `release`.
//!
//! All `unsafe` code of the device layer is here, behind the safe traits [`Device`] and
//! [`OpenFile`].

use core::{
    ffi::c_int,
    marker::PhantomPinned, //
};
use kernel::{
    bindings,
    container_of,
    fs::File,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    sync::{
        poll::PollTable,
        Arc, //
    },
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

/// The state of one open file of a device.
pub(crate) trait OpenFile: Send + Sync + 'static {
    /// Handles `read()`.
    fn read(&self, file: &File, iov: &mut IovIterDest<'_>) -> Result<usize>;

    /// Handles `write()`; the value returned is what `write()` returns.
    fn write(&self, file: &File, iov: &mut IovIterSource<'_>) -> Result<usize>;

    /// Handles `poll()`: registers with `table` and returns the ready mask.
    fn poll(&self, _file: &File, _table: &PollTable<'_>) -> u32 {
        0
    }

    /// Called once when the last reference to the open file goes away.
    fn release(&self, _file: &File) {}
}

/// A kind of misc device: what a registration hands its opener.
pub(crate) trait Device: Send + Sync + Sized + 'static {
    /// The per-open-file state.
    type Open: OpenFile;

    /// Whether the device supports `poll()`; without it the VFS reports it always ready.
    const HAS_POLL: bool;

    /// Handles `open()` and returns the state for the new open file.
    fn open(&self, file: &File) -> Result<Arc<Self::Open>>;
}

/// A `file_operations` table for one [`Device`] type, kept in a `static`.
#[repr(transparent)]
pub(crate) struct FileOps(bindings::file_operations);

// SAFETY: The table is never written after it is built; it holds function pointers and a
// pointer to this module, both valid from any thread.
unsafe impl Sync for FileOps {}

impl FileOps {
    /// Builds the table of `T`, owned by the module `owner` (this module's `__this_module`).
    pub(crate) const fn new<T: Device>(owner: *mut bindings::module) -> Self {
        Self(bindings::file_operations {
            owner,
            open: Some(open::<T>),
            release: Some(release::<T>),
            read_iter: Some(read_iter::<T>),
            write_iter: Some(write_iter::<T>),
            poll: if T::HAS_POLL { Some(poll::<T>) } else { None },
            llseek: Some(bindings::noop_llseek),
            ..pin_init::zeroed()
        })
    }
}

/// A registered misc device whose opens are served by `T`.
///
/// # Invariants
///
/// - `misc` is registered with the misc core for as long as `self` exists, and its `fops`
///   is a [`FileOps`] built for `T` with a `'static` lifetime.
/// - `name` holds the NUL-terminated name `misc.name` points to.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Device> {
    /// The misc core's view of the device.
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    /// Storage for the device name.
    name: KVec<u8>,
    /// What serves the device's opens.
    device: T,
    /// `misc` is linked into the misc core's list, so it must not move.
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The misc core serializes registration and lookups with its own mutex; `T` is
// `Send + Sync`, and `misc` is only touched by the misc core after registration.
unsafe impl<T: Device> Send for Registration<T> {}
// SAFETY: See the `Send` implementation; shared references only read `device`.
unsafe impl<T: Device> Sync for Registration<T> {}

impl<T: Device> Registration<T> {
    /// Registers a misc device called `name` with a dynamic minor.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, `EINVAL` if `name` contains a NUL byte, or what `misc_register` returns
    /// (`EBUSY` for a name already taken).
    pub(crate) fn register(
        name: &[u8],
        fops: &'static FileOps,
        device: T,
    ) -> Result<Pin<KBox<Self>>> {
        if name.contains(&0) {
            return Err(EINVAL);
        }
        let mut storage = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
        storage.extend_from_slice(name, GFP_KERNEL)?;
        storage.push(0, GFP_KERNEL)?;

        // Moving the `KVec` into the registration keeps its heap buffer where it is.
        let name_ptr = storage.as_ptr();
        // Fields are initialised in the order written here: `misc` last, because the device
        // can be opened as soon as it is registered, and `open` uses `device`.
        let init = try_pin_init!(Self {
            name: storage,
            device,
            _pin: PhantomPinned,
            misc <- Opaque::try_ffi_init(|slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.fops = &fops.0;
                misc.name = name_ptr.cast();
                // SAFETY: `slot` is valid for writes and is not yet shared with anyone.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` is a fully initialised `miscdevice` at a pinned address,
                // whose name lives in `name`'s buffer and whose `fops` is `'static`; every
                // other field of the registration is initialised already.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
        }? Error);
        // INVARIANT: `misc` was registered above with the `'static` table of `T`, after
        // `device`; `name` owns the bytes `misc.name` points to.
        KBox::pin_init(init, GFP_KERNEL)
    }

    /// Returns the misc minor the device was given.
    pub(crate) fn minor(&self) -> u32 {
        // SAFETY: `misc` is registered (type invariant); the misc core wrote the dynamic
        // minor during registration and never changes it afterwards.
        let minor = unsafe { (*self.misc.get()).minor };
        minor.unsigned_abs()
    }
}

#[pinned_drop]
impl<T: Device> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` is registered (type invariant). Open files do not refer to it:
        // `open` takes what it needs while the misc core holds its mutex, which
        // `misc_deregister` also takes.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// Turns an errno result into the C convention.
fn to_result(err: c_int) -> Result {
    kernel::error::to_result(err)
}

/// Returns the state of an open file.
///
/// # Safety
///
/// `file` must be a file opened by [`open`] for `T` and not yet released.
unsafe fn state<'a, T: Device>(
    file: *mut bindings::file,
) -> <Arc<T::Open> as ForeignOwnable>::Borrowed<'a> {
    // SAFETY: By the function's contract `open` stored an `Arc<T::Open>` in `private_data`
    // with `into_foreign`, and `release` has not taken it back yet.
    unsafe { <Arc<T::Open> as ForeignOwnable>::borrow((*file).private_data) }
}

/// `open` of a [`Registration`]'s device.
///
/// # Safety
///
/// Called by the VFS through [`FileOps`] built for `T`, with `file->private_data` set by
/// `misc_open` to the `miscdevice` of a live [`Registration<T>`] and the misc mutex held.
unsafe extern "C" fn open<T: Device>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS passes valid `inode` and `file` pointers.
    let ret = unsafe { bindings::generic_file_open(inode, file) };
    if ret != 0 {
        return ret;
    }
    // SAFETY: By the function's contract `private_data` points to the `misc` field of a
    // `Registration<T>`, which `Opaque` makes layout-identical to a `miscdevice`.
    let misc = unsafe { (*file).private_data }.cast::<Opaque<bindings::miscdevice>>();
    // SAFETY: `misc` is the `misc` field of a `Registration<T>` (see above), which stays
    // alive while the misc mutex is held.
    let reg = unsafe { &*container_of!(misc, Registration<T>, misc) };
    // SAFETY: `file` is valid for the duration of this call.
    let kfile = unsafe { File::from_raw_file(file) };
    match reg.device.open(kfile) {
        Ok(state) => {
            // SAFETY: `file` is valid and not yet visible to any other file operation.
            unsafe { (*file).private_data = state.into_foreign() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `release` of a [`Registration`]'s device.
///
/// # Safety
///
/// Called by the VFS once, for a file whose `open` succeeded.
unsafe extern "C" fn release<T: Device>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `open` stored the result of `Arc::into_foreign` in `private_data`, and this
    // is the last operation on the file, so ownership can be taken back.
    let state = unsafe { <Arc<T::Open> as ForeignOwnable>::from_foreign((*file).private_data) };
    // SAFETY: `file` is valid for the duration of this call.
    state.release(unsafe { File::from_raw_file(file) });
    0
}

/// `read_iter` of a [`Registration`]'s device.
///
/// # Safety
///
/// Called by the VFS with a valid `kiocb` for a file opened by [`open`] and an `iov_iter`
/// that is a destination.
unsafe extern "C" fn read_iter<T: Device>(
    kiocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `kiocb` is valid, and its file was opened by `open` for `T`.
    let file = unsafe { (*kiocb).ki_filp };
    // SAFETY: `iter` is a valid destination iterator for the duration of this call.
    let iov = unsafe { IovIterDest::from_raw(iter) };
    // SAFETY: `file` was opened by `open` for `T` and is not released during the call.
    let state = unsafe { state::<T>(file) };
    // SAFETY: `file` is valid for the duration of this call.
    let kfile = unsafe { File::from_raw_file(file) };
    match state.read(kfile, iov) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `write_iter` of a [`Registration`]'s device.
///
/// # Safety
///
/// As for [`read_iter`], with an `iov_iter` that is a source.
unsafe extern "C" fn write_iter<T: Device>(
    kiocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `kiocb` is valid, and its file was opened by `open` for `T`.
    let file = unsafe { (*kiocb).ki_filp };
    // SAFETY: `iter` is a valid source iterator for the duration of this call.
    let iov = unsafe { IovIterSource::from_raw(iter) };
    // SAFETY: `file` was opened by `open` for `T` and is not released during the call.
    let state = unsafe { state::<T>(file) };
    // SAFETY: `file` is valid for the duration of this call.
    let kfile = unsafe { File::from_raw_file(file) };
    match state.write(kfile, iov) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `poll` of a [`Registration`]'s device.
///
/// # Safety
///
/// Called by the VFS with a valid `file` opened by [`open`] and a valid or null `table`.
unsafe extern "C" fn poll<T: Device>(
    file: *mut bindings::file,
    table: *mut bindings::poll_table,
) -> bindings::__poll_t {
    // SAFETY: `table` is valid or null for the duration of this call, as `poll_wait`
    // accepts.
    let table = unsafe { PollTable::from_raw(table) };
    // SAFETY: `file` was opened by `open` for `T` and is not released during the call.
    let state = unsafe { state::<T>(file) };
    // SAFETY: `file` is valid for the duration of this call.
    let kfile = unsafe { File::from_raw_file(file) };
    state.poll(kfile, &table)
}
