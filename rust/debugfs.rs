// SPDX-License-Identifier: GPL-2.0

//! The debugfs files: `fs/dlm`'s lock dumps, and the invariant check.
//!
//! For every lockspace `<ls>`, `/sys/kernel/debug/dlm/` gets the files `fs/dlm` offers and
//! `dlm_tool lockdump` and `lockdebug` read: `<ls>` (resources and their queues, for
//! people), `<ls>_locks` (one line per lock), `<ls>_all` (resources, value blocks and
//! locks), and `<ls>_waiters` and `<ls>_toss`, which are always empty.
//! Writing `check` to `/sys/kernel/debug/rdlm/check` checks every lockspace's invariants.
//! The formats are described in `Documentation/rdlm/debugfs.rst`.
//!
//! A dump copies one resource at a time under its mutex and formats the copy afterwards.

use crate::manager::{
    self,
    LockView,
    ResourceView, //
};
use core::fmt::{
    self,
    Write, //
};
use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::{
        ClockSource,
        Monotonic, //
    },
    uaccess::UserSliceReader, //
};

/// Length of a user lockspace's value blocks, as `fs/dlm` prints it.
const LVB_LEN: usize = 32;

/// A lockspace known to the check file.
struct Watched {
    /// The lockspace name.
    name: KVec<u8>,
    /// The lock core.
    core: Arc<manager::Lockspace>,
}

/// The lockspaces the check file checks, protected by [`Spaces::list`].
#[pin_data]
struct Spaces {
    /// Every lockspace with debugfs files.
    #[pin]
    list: Mutex<KVec<Watched>>,
}

/// The module's debugfs directories and the check file.
pub(crate) struct Debug {
    /// `/sys/kernel/debug/dlm`, where the lockspace files go.
    dlm: Dir,
    /// `/sys/kernel/debug/rdlm/check`.
    _check: Pin<KBox<File<Arc<Spaces>>>>,
    /// `/sys/kernel/debug/rdlm`.
    _rdlm: Dir,
    /// The lockspaces to check.
    spaces: Arc<Spaces>,
}

impl Debug {
    /// Creates the directories and the check file.
    ///
    /// A directory debugfs refuses (for instance `dlm` while `fs/dlm` is loaded) is left out
    /// silently, with its files.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the state cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        let spaces = Arc::pin_init(
            pin_init!(Spaces {
                list <- new_mutex!(KVec::new(), "Spaces::list"),
            }),
            GFP_KERNEL,
        )?;
        let rdlm = Dir::new(c"rdlm");
        let check = KBox::pin_init(
            rdlm.write_callback_file(c"check", spaces.clone(), &write_check),
            GFP_KERNEL,
        )?;
        Ok(Debug {
            dlm: Dir::new(c"dlm"),
            _check: check,
            _rdlm: rdlm,
            spaces,
        })
    }

    /// Creates the files of lockspace `name` and registers it for checks; both go when the
    /// returned value is dropped.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the registration or a file cannot be allocated.
    pub(crate) fn add(&self, name: &[u8], core: &Arc<manager::Lockspace>) -> Result<SpaceFiles> {
        let mut stored = KVec::with_capacity(name.len(), GFP_KERNEL)?;
        stored.extend_from_slice(name, GFP_KERNEL)?;
        let mut files = KVec::with_capacity(5, GFP_KERNEL)?;
        self.file(&mut files, name, b"", core, &show_resources)?;
        self.file(&mut files, name, b"_locks", core, &show_locks)?;
        self.file(&mut files, name, b"_all", core, &show_all)?;
        self.file(&mut files, name, b"_waiters", core, &show_nothing)?;
        self.file(&mut files, name, b"_toss", core, &show_toss)?;
        self.spaces.list.lock().push(
            Watched {
                name: stored,
                core: core.clone(),
            },
            GFP_KERNEL,
        )?;
        Ok(SpaceFiles {
            _files: files,
            spaces: self.spaces.clone(),
            core: core.clone(),
        })
    }
}

impl Debug {
    /// Adds file `<name><suffix>`, shown by `show`, to `files`.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the file cannot be allocated.
    fn file<F>(
        &self,
        files: &mut KVec<Pin<KBox<File<Arc<manager::Lockspace>>>>>,
        name: &[u8],
        suffix: &[u8],
        core: &Arc<manager::Lockspace>,
        show: &'static F,
    ) -> Result
    where
        F: Fn(&Arc<manager::Lockspace>, &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync,
    {
        let mut file_name = KVec::with_capacity(name.len() + suffix.len() + 1, GFP_KERNEL)?;
        file_name.extend_from_slice(name, GFP_KERNEL)?;
        file_name.extend_from_slice(suffix, GFP_KERNEL)?;
        file_name.push(0, GFP_KERNEL)?;
        // A name debugfs cannot take (with a zero byte inside) gets no file.
        let Ok(c_name) = CStr::from_bytes_with_nul(&file_name) else {
            return Ok(());
        };
        let file = KBox::pin_init(
            self.dlm.read_callback_file(c_name, core.clone(), show),
            GFP_KERNEL,
        )?;
        files.push(file, GFP_KERNEL)?;
        Ok(())
    }
}

/// The debugfs files of one lockspace, removed with it.
pub(crate) struct SpaceFiles {
    /// The files; each removes itself when dropped.
    _files: KVec<Pin<KBox<File<Arc<manager::Lockspace>>>>>,
    /// The check file's list, which names the lockspace.
    spaces: Arc<Spaces>,
    /// The lockspace.
    core: Arc<manager::Lockspace>,
}

impl Drop for SpaceFiles {
    fn drop(&mut self) {
        let removed = {
            let mut list = self.spaces.list.lock();
            let found = list.iter().position(|w| Arc::ptr_eq(&w.core, &self.core));
            found.and_then(|k| list.remove(k).ok())
        };
        drop(removed);
    }
}

/// Handles a write to the check file: `check` checks every lockspace.
fn write_check(spaces: &Arc<Spaces>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 16];
    let len = reader.len().min(buf.len());
    reader.read_slice(buf.get_mut(..len).ok_or(EINVAL)?)?;
    let word = buf.get(..len).ok_or(EINVAL)?.trim_ascii();
    if word != b"check" {
        return Err(EINVAL);
    }
    let snapshot = {
        let list = spaces.list.lock();
        let mut copy = KVec::with_capacity(list.len(), GFP_KERNEL)?;
        for w in list.iter() {
            let mut name = KVec::with_capacity(w.name.len(), GFP_KERNEL)?;
            name.extend_from_slice(&w.name, GFP_KERNEL)?;
            copy.push((name, w.core.clone()), GFP_KERNEL)?;
        }
        copy
    };
    let mut result = Ok(());
    for (name, core) in snapshot.iter() {
        if let Err(e) = core.check(name) {
            result = Err(e);
        }
    }
    result
}

/// Prints a name up to its first zero byte, as C's `%s` does; bytes other than printable
/// ASCII become `.`.
struct CName<'a>(&'a [u8]);

impl fmt::Display for CName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().take_while(|b| **b != 0) {
            f.write_char(printable(*b))?;
        }
        Ok(())
    }
}

/// Returns `b` as a character if it is printable ASCII, else `.`.
fn printable(b: u8) -> char {
    if b == b' ' || b.is_ascii_graphic() {
        char::from(b)
    } else {
        '.'
    }
}

/// A stand-in for the resource pointer `fs/dlm` prints: not the address, but the hash of
/// the name, which tells resources apart well enough.
fn resource_tag(v: &ResourceView) -> u32 {
    v.resource.hash
}

/// Returns the name `fs/dlm` gives `mode` (`--` for none).
fn mode_name(mode: i32) -> &'static str {
    match mode {
        0 => "NL",
        1 => "CR",
        2 => "CW",
        3 => "PR",
        4 => "PW",
        5 => "EX",
        _ => "--",
    }
}

/// `<ls>`: each resource with its value block and queues, for people.
fn show_resources(ls: &Arc<manager::Lockspace>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ls.for_each_view(|v| {
        write!(
            f,
            "\nResource {:08x} Name (len={}) \"",
            resource_tag(v),
            v.name().len()
        )?;
        for b in v.name() {
            f.write_char(printable(*b))?;
        }
        f.write_str("\"\nMaster Copy\n")?;
        if let Some(lvb) = &v.lvb {
            f.write_str("LVB: ")?;
            for (k, b) in lvb.iter().enumerate() {
                if k == LVB_LEN / 2 {
                    f.write_str("\n     ")?;
                }
                write!(f, "{b:02x} ")?;
            }
            if v.lvb_invalid {
                f.write_str(" (INVALID)")?;
            }
            f.write_char('\n')?;
        }
        for (title, status) in [
            ("Granted Queue", 2),
            ("Conversion Queue", 3),
            ("Waiting Queue", 1),
        ] {
            writeln!(f, "{title}")?;
            for l in v.locks.iter().filter(|l| l.status() == status) {
                write!(f, "{:08x} {}", l.id, mode_name(l.grmode_raw()))?;
                if l.is_pending() {
                    write!(f, " ({})", mode_name(l.rqmode_raw()))?;
                }
                f.write_char('\n')?;
            }
        }
        Ok(())
    })
}

/// `<ls>_locks`: a header, then one line per queued lock.
fn show_locks(ls: &Arc<manager::Lockspace>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(
        "id nodeid remid pid xid exflags flags sts grmode rqmode time_ms r_nodeid r_len \
         r_name\n",
    )?;
    let now = Monotonic::ktime_get();
    ls.for_each_view(|v| {
        for l in v.locks.iter().filter(|l| l.status() != 0) {
            writeln!(
                f,
                "{:x} 0 0 {} {} {:x} 0 {} {} {} {} 0 {} \"{}\"",
                l.id,
                l.pid,
                l.xid,
                l.exflags,
                l.status(),
                l.grmode_raw(),
                l.rqmode_raw(),
                micros_since(now, l),
                v.name().len(),
                CName(v.name())
            )?;
        }
        Ok(())
    })
}

/// Returns the microseconds lock `l` has spent on its queue at `now`.
fn micros_since(now: i64, l: &LockView) -> u64 {
    u64::try_from(now.saturating_sub(l.queued_at) / 1000).unwrap_or(0)
}

/// `<ls>_all`: a header, then per resource its line, its value block and its queued locks.
fn show_all(ls: &Arc<manager::Lockspace>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(
        "rsb ptr nodeid first_lkid flags !root_list_empty !recover_list_empty \
         recover_locks_count len\n",
    )?;
    ls.for_each_view(|v| {
        write!(
            f,
            "rsb {:08x} 0 0 0 0 0 0 {} ",
            resource_tag(v),
            v.name().len()
        )?;
        write_name_str_or_hex(f, v.name())?;
        if let Some(lvb) = &v.lvb {
            write!(f, "lvb {} {}", v.lvb_seq, LVB_LEN)?;
            for b in lvb.iter() {
                write!(f, " {b:02x}")?;
            }
            f.write_char('\n')?;
        }
        for l in v.locks.iter().filter(|l| l.status() != 0) {
            writeln!(
                f,
                "lkb {:x} 0 0 {} {} {:x} 0 {} {} {} {} 0 0 {} {} 0",
                l.id,
                l.pid,
                l.xid,
                l.exflags,
                l.status(),
                l.grmode_raw(),
                l.rqmode_raw(),
                l.last_bast_raw(),
                l.lvb_seq,
                l.queued_at
            )?;
        }
        Ok(())
    })
}

/// Writes `str <name>` if every byte is printable ASCII, else `hex` and the bytes in hex,
/// then a newline.
fn write_name_str_or_hex(f: &mut fmt::Formatter<'_>, name: &[u8]) -> fmt::Result {
    if name.iter().all(|b| *b == b' ' || b.is_ascii_graphic()) {
        f.write_str("str ")?;
        for b in name {
            f.write_char(char::from(*b))?;
        }
    } else {
        f.write_str("hex")?;
        for b in name {
            write!(f, " {b:02x}")?;
        }
    }
    f.write_char('\n')
}

/// `<ls>_waiters`: no lock ever waits for another node's reply.
fn show_nothing(_ls: &Arc<manager::Lockspace>, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
    Ok(())
}

/// `<ls>_toss`: empty. The empty resources rdlm keeps cached are not listed; `fs/dlm`
/// prints its header only above an inactive resource.
fn show_toss(_ls: &Arc<manager::Lockspace>, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
    Ok(())
}
