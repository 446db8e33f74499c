//! Progress of long work (many images, an epoch): a bar on a terminal, else a line every
//! [`LINE_EVERY_S`] seconds, so that logs show that slow work is moving.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Seconds between progress lines when stderr is not a terminal.
pub const LINE_EVERY_S: f64 = 30.0;

/// Counts `done` out of `total` units of `what`.
pub struct Progress {
    bar: ProgressBar,
    total: u64,
    what: String,
    last_line: Cell<Instant>,
    quiet: bool,
}

impl Progress {
    /// Progress over `total` units named `what` (e.g. "images", "steps of epoch 3/50");
    /// `quiet` hides it when the work is short.
    pub fn new(total: u64, what: &str, quiet: bool) -> Self {
        let bar = if !quiet && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template("[{bar:30}] {pos}/{len} {prefix}  {per_sec}  {msg}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(what.to_string());
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar, total, what: what.into(), last_line: Cell::new(Instant::now()), quiet }
    }

    /// A short status shown beside the bar.
    pub fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    /// `done` units are complete.
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
        if !self.quiet && self.bar.is_hidden() && self.last_line.get().elapsed().as_secs_f64() >= LINE_EVERY_S {
            eprintln!("{done}/{} {}", self.total, self.what);
            self.last_line.set(Instant::now());
        }
    }

    /// Leave the bar as it is (on an interruption).
    pub fn abandon(&self) {
        self.bar.abandon();
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
