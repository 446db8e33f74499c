//! How every output file of the project is written (`--out`, `--raw`, `--gif`, run
//! folders, exported files): through [`write_atomic`] or, for a writer that streams,
//! [`create_output`]. A regular file is replaced atomically (a temporary file beside it,
//! then a rename); a symbolic link is followed and its target replaced the same way; a
//! character or block device (`/dev/null`) is written through, never replaced; a FIFO
//! is written through while a process reads it, and refused when none does; a folder
//! or a socket is refused. [`check_output`] says so before any work.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Symbolic links followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// What writing a path reaches.
enum Target {
    /// A regular file, or none yet: replaced atomically.
    File(PathBuf),
    /// A character or block device: written through.
    Device(PathBuf),
    /// A FIFO: written through while a process reads it.
    Fifo(PathBuf),
}

/// Check, before any work, that `path` can be written as an output: `Err` (with a kind
/// that [`crate::exit::io_exit_code`] maps to 2) for a folder, a socket, a missing or
/// read-only folder. A FIFO is not opened here (that would end its reader's input);
/// one that no process reads is refused when it is written.
pub fn check_output(path: &Path) -> io::Result<()> {
    target(path, true).map(|_| ())
}

/// Write `bytes` to `path` as the module's doc says: a regular file (or a link's target)
/// through a temporary file in the same folder, synced, and a rename, so that readers
/// see the old file or the new one, never a part; a device or a read FIFO written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (mut out, pending) = create_output(path)?;
    match out.write_all(bytes).and_then(|()| out.sync()) {
        Ok(()) => pending.finish(),
        Err(e) => {
            pending.abandon();
            Err(e)
        }
    }
}

/// Start writing `path` as [`write_atomic`] does, for a writer that streams: write to
/// the [`OutputFile`], then [`Pending::finish`] (or [`Pending::abandon`] after an error).
pub fn create_output(path: &Path) -> io::Result<(OutputFile, Pending)> {
    match target(path, false)? {
        Target::File(file) => {
            let name =
                file.file_name().ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "path has no file name"))?;
            let tmp = folder_of(&file).join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
            let out = OutputFile { file: File::create(&tmp)?, kind: Kind::Regular };
            Ok((out, Pending { tmp: Some(tmp), path: file }))
        }
        Target::Device(device) => {
            let out = OutputFile { file: OpenOptions::new().write(true).open(&device)?, kind: Kind::Device };
            Ok((out, Pending { tmp: None, path: device }))
        }
        Target::Fifo(fifo) => {
            // Opening a FIFO for writing waits for a reader; without one, say so instead.
            let file = match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&fifo) {
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                    return Err(io::Error::new(ErrorKind::InvalidInput, "it is a FIFO that no process is reading"));
                }
                other => other?,
            };
            Ok((OutputFile { file, kind: Kind::Fifo }, Pending { tmp: None, path: fifo }))
        }
    }
}

/// What an [`OutputFile`] writes to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Regular,
    Device,
    Fifo,
}

/// The file an output is written to: a temporary file, a device, or a FIFO (opened
/// without blocking, so a full pipe is waited for here, a millisecond at a time).
#[derive(Debug)]
pub struct OutputFile {
    file: File,
    kind: Kind,
}

impl OutputFile {
    /// Flush a regular file to the disk (devices and FIFOs have nothing to sync).
    pub fn sync(&self) -> io::Result<()> {
        if self.kind == Kind::Regular { self.file.sync_all() } else { Ok(()) }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.file.write(buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock && self.kind == Kind::Fifo => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// An output whose bytes are written but not yet in place.
#[derive(Debug)]
pub struct Pending {
    /// The temporary file to rename (`None`: a device or FIFO, written directly).
    tmp: Option<PathBuf>,
    path: PathBuf,
}

impl Pending {
    /// Move the written file into place.
    pub fn finish(self) -> io::Result<()> {
        let Some(tmp) = self.tmp else { return Ok(()) };
        std::fs::rename(&tmp, &self.path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    /// Remove the temporary file (after an error); the old file, if any, stays.
    pub fn abandon(self) {
        if let Some(tmp) = self.tmp {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// What `path` names once its symbolic links are followed, checked for writing; with
/// `probe`, a new file is also created and removed in a regular file's folder.
fn target(path: &Path, probe: bool) -> io::Result<Target> {
    let end = follow_links(path)?;
    // Callers name the path; the message says what is wrong with it.
    let said = |kind: ErrorKind, what: &str| io::Error::new(kind, what.to_string());
    match std::fs::metadata(&end) {
        Ok(m) if m.is_dir() => Err(said(ErrorKind::IsADirectory, "it is a folder; name a file in it")),
        Ok(m) if m.file_type().is_char_device() || m.file_type().is_block_device() => {
            if probe {
                OpenOptions::new().write(true).open(&end)?;
            }
            Ok(Target::Device(end))
        }
        Ok(m) if m.file_type().is_fifo() => Ok(Target::Fifo(end)),
        Ok(m) if !m.is_file() => Err(said(ErrorKind::InvalidInput, "it is a socket or another special file")),
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        // A regular file, or none yet.
        _ => {
            if probe {
                probe_folder(&end)?;
            }
            Ok(Target::File(end))
        }
    }
}

/// `path` with its symbolic links followed (a dangling link gives its missing target).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&at)?;
                at = folder_of(&at).join(to);
            }
            _ => return Ok(at),
        }
    }
    Err(io::Error::new(ErrorKind::InvalidInput, format!("{}: too many levels of symbolic links", path.display())))
}

/// The folder a file at `path` lives in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Fail unless a file can be created in `file`'s folder.
fn probe_folder(file: &Path) -> io::Result<()> {
    let dir = folder_of(file);
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create a file in {}: {e}", dir.display())))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test: a panic is the failure report
    use super::*;
    use std::process::Command;

    /// `dir/name` made by `cmd PATH ARGS…` (mkfifo, mknod).
    fn special(dir: &Path, name: &str, cmd: &str, args: &[&str]) -> Option<PathBuf> {
        let path = dir.join(name);
        Command::new(cmd).arg(&path).args(args).status().ok()?.success().then_some(path)
    }

    #[test]
    fn a_regular_file_is_replaced_and_a_link_writes_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.png");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.png");
        std::os::unix::fs::symlink("real.png", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // A dangling link creates its target.
        let dangling = dir.path().join("to-be.png");
        std::os::unix::fs::symlink("missing.png", &dangling).unwrap();
        write_atomic(&dangling, b"x").unwrap();
        assert_eq!(std::fs::read(dir.path().join("missing.png")).unwrap(), b"x");
    }

    #[test]
    fn a_folder_is_refused_before_any_work_with_the_callers_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path().to_path_buf(), dir.path().join("no/such/folder/x.png")] {
            let e = check_output(&path).unwrap_err();
            println!("{}: {e} ({:?})", path.display(), e.kind());
            assert_eq!(crate::exit::io_exit_code(e.kind()), crate::exit::EXIT_INPUT);
            assert!(write_atomic(&path, b"x").is_err());
        }
    }

    #[test]
    fn a_device_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        // A null device of our own (character device 1:3), never the machine's /dev.
        let Some(null) = special(dir.path(), "null", "mknod", &["c", "1", "3"]) else {
            // mknod needs root (CAP_MKNOD); CI runs as root.
            assert!(std::env::var_os("CI").is_none(), "mknod failed, and CI is set");
            return;
        };
        check_output(&null).unwrap();
        write_atomic(&null, b"discarded").unwrap();
        assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device(), "the device was replaced");
    }

    #[test]
    fn a_fifo_is_written_when_read_and_refused_when_not() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = special(dir.path(), "pipe", "mkfifo", &[]).unwrap();
        // Checking does not open it (a reader would see the end of its input).
        check_output(&fifo).unwrap();
        let e = write_atomic(&fifo, b"lost").unwrap_err();
        println!("no reader: {e}");
        assert_eq!(crate::exit::io_exit_code(e.kind()), crate::exit::EXIT_INPUT);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        // Until the reader has opened its end a write is refused, so retry briefly;
        // 1 MiB is more than a pipe holds, so the writer waits for the reader too.
        let bytes = vec![7u8; 1 << 20];
        let mut written = false;
        for _ in 0..200 {
            if write_atomic(&fifo, &bytes).is_ok() {
                written = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(written, "no write through the FIFO within 2 s");
        assert_eq!(reader.join().unwrap(), bytes);
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    }
}
