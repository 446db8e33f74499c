//! The signal convention every binary shares ([`cli::stop_on_signals`]): the first SIGINT
//! or SIGTERM only asks the work to stop (it cleans up, then exits 128+N); a second one
//! exits at once with 128+N, even while the clean-up is still running.
//!
//! The test re-runs its own binary as the child (`CHILD` set), so the handlers are the
//! library's, in a process of their own, and the parent sends real signals.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use cli::ci::EXIT_AT_ONCE;

/// Set in the child's environment: the clean-up it simulates, in milliseconds.
const CHILD: &str = "DCGAN_SIGNALS_CHILD_CLEANUP_MS";
/// A clean-up far longer than any exit at once: a second signal must cut it short.
const SLOW_CLEANUP: Duration = Duration::from_secs(30);
/// The most the child may take to start and say what it is doing.
const CHILD_SPEAKS_WITHIN: Duration = Duration::from_secs(60);

/// The child: arm the handlers, say so, wait for the first signal, say so, "clean up" for
/// the time asked, and exit 128+N as the binaries do.
#[test]
#[ignore = "the child process of the tests below, which run it"]
fn child() {
    let Some(cleanup_ms) = std::env::var(CHILD).ok().and_then(|v| v.parse::<u64>().ok()) else { return };
    let stop = cli::stop_on_signals();
    println!("armed");
    // Bounded, so that a parent that failed before signalling leaves no process behind.
    let deadline = Instant::now() + 2 * CHILD_SPEAKS_WITHIN;
    while stop.load(Ordering::SeqCst) == 0 {
        if Instant::now() > deadline {
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("cleaning up");
    std::thread::sleep(Duration::from_millis(cleanup_ms));
    std::process::exit(128 + stop.load(Ordering::SeqCst) as i32);
}

/// Start the child, with its stdout's lines arriving on a channel (so that waiting for one
/// can time out).
fn spawn_child(cleanup: Duration) -> (std::process::Child, Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture"])
        .env(CHILD, cleanup.as_millis().to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (send, lines) = std::sync::mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || stdout.lines().map_while(Result::ok).try_for_each(|l| send.send(l)));
    (child, lines)
}

/// Wait until the child says `wanted` (libtest may print its own `test child ... ` first
/// on the same line).
fn wait_for(lines: &Receiver<String>, wanted: &str) {
    let deadline = Instant::now() + CHILD_SPEAKS_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.trim_end().ends_with(wanted) => return,
            Ok(_) => {}
            Err(e) => panic!("the child did not say `{wanted}` within {CHILD_SPEAKS_WITHIN:?}: {e}"),
        }
    }
}

fn signal(child: &std::process::Child, sig: &str) {
    assert!(cli::ci::send_signal(child.id(), sig));
}

#[test]
fn the_first_signal_lets_the_work_clean_up_and_exit_128_plus_n() {
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let (mut child, lines) = spawn_child(Duration::from_millis(300));
        wait_for(&lines, "armed");
        signal(&child, sig);
        wait_for(&lines, "cleaning up");
        let status = child.wait().unwrap();
        println!("one SIG{}: exit {:?} after its clean-up (expected {code})", &sig[1..], status.code());
        assert_eq!(status.code(), Some(code));
    }
}

#[test]
fn a_second_signal_exits_at_once_during_the_clean_up() {
    for (first, second, code) in [("-INT", "-INT", 130), ("-TERM", "-INT", 130), ("-INT", "-TERM", 143)] {
        let (mut child, lines) = spawn_child(SLOW_CLEANUP);
        wait_for(&lines, "armed");
        signal(&child, first);
        wait_for(&lines, "cleaning up");
        let sent = Instant::now();
        signal(&child, second);
        let status = child.wait().unwrap();
        let took = sent.elapsed();
        println!(
            "SIG{} then SIG{} during a {} s clean-up: exit {:?} after {:.3} s (limit {} s, expected {code})",
            &first[1..],
            &second[1..],
            SLOW_CLEANUP.as_secs(),
            status.code(),
            took.as_secs_f64(),
            EXIT_AT_ONCE.as_secs()
        );
        assert_eq!(status.code(), Some(code), "the second signal's number decides the code");
        assert!(took < EXIT_AT_ONCE, "the second signal did not cut the clean-up short");
    }
}
