//! SIGINT and SIGTERM, handled the workspace's way (exit 130 / 143 after cleaning up).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

pub use signal_hook::consts::{SIGINT, SIGTERM};

/// Handle SIGINT and SIGTERM: the first sets the returned flag to the signal's number (the
/// work stops at its next check and exits 128+N, having cleaned up); a second one, of
/// either kind, exits at once with 128+N.
pub fn stop_on_signals() -> Arc<AtomicUsize> {
    let stop = Arc::new(AtomicUsize::new(0));
    let armed = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let handlers = signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&armed))
            .and(signal_hook::flag::register(signal, Arc::clone(&armed)))
            .and(signal_hook::flag::register_usize(signal, Arc::clone(&stop), signal as usize));
        if let Err(e) = handlers {
            eprintln!("warning: cannot handle signal {signal}: {e}");
        }
    }
    stop
}
