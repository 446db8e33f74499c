//! What the workspace's binaries share and its libraries do not need: the range checks of
//! numeric flags ([`args`]), signal handling ([`signals`]), progress bars ([`progress`])
//! and the rule that tests skip outside CI but fail in it ([`ci`]).
//!
//! Exit codes: 0 success, 2 the caller's input (a flag, a file, a request), 1 a fault of
//! ours or of the system (I/O, a runtime), 128+N on signal N (130 SIGINT, 143 SIGTERM).
//! clap itself exits 2 on a malformed command line and 0 for `--help`. The codes live in
//! [`dcgan::exit`], where the libraries' errors map themselves to them.

pub mod args;
pub mod ci;
pub mod progress;
pub mod signals;

pub use args::*;
pub use dcgan::exit::{EXIT_FAULT, EXIT_INPUT, EXIT_OK, io_exit_code};
pub use signals::stop_on_signals;
