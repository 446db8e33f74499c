//! One exit-code convention for every binary (README, "Exit codes"): the libraries'
//! errors map themselves to these, and the binaries exit with them.

/// Success.
pub const EXIT_OK: u8 = 0;
/// A fault of ours or of the system.
pub const EXIT_FAULT: u8 = 1;
/// The caller's input.
pub const EXIT_INPUT: u8 = 2;

/// Exit status for an I/O error on a path the caller named: 2 when the path itself is
/// the problem (missing folder, no permission), 1 when the system failed (disk full, …).
pub fn io_exit_code(kind: std::io::ErrorKind) -> u8 {
    use std::io::ErrorKind::*;
    match kind {
        NotFound | PermissionDenied | AlreadyExists | IsADirectory | NotADirectory | ReadOnlyFilesystem
        | InvalidInput | InvalidFilename | AddrInUse | AddrNotAvailable => EXIT_INPUT,
        _ => EXIT_FAULT,
    }
}
