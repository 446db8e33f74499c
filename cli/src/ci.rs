//! Tests that need something outside the repository (MNIST, PyTorch, ONNX Runtime,
//! Chromium) skip with a message when it is missing — on a developer's machine. When
//! `CI` is set they fail instead, so that a CI run without the data or libraries is red.

/// Whether a test may run: true when `present`; otherwise prints why it skips, or, when
/// the environment variable `CI` is set, panics.
pub fn require(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{what} is missing, and CI is set: a CI run must not skip this test");
    eprintln!("{what} is missing; skipping this test (with CI set it would fail)");
    false
}

/// The MNIST folder from `MNIST_DIR` when it holds the training images.
pub fn mnist() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(std::env::var_os("MNIST_DIR")?);
    dir.join("train-images-idx3-ubyte.gz").exists().then_some(dir)
}

/// The project's Python (scripts/setup.sh's virtual environment, which .cargo/config.toml
/// names as `DCGAN_PYTHON` at build time), when it is there.
pub fn python() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(option_env!("DCGAN_PYTHON")?);
    p.exists().then_some(p)
}

/// [`python`] for a test that needs `what` from it; `None` once [`require`] has said that
/// it is missing (with `CI` set, it fails instead).
pub fn need_python(what: &str) -> Option<std::path::PathBuf> {
    let p = python();
    if require(what, p.is_some()) { p } else { None }
}

/// The repository root (this crate sits one folder below it).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `p` as a command-line argument; a test's paths are always UTF-8.
pub fn arg(p: &std::path::Path) -> &str {
    p.to_str().expect("a test's paths are UTF-8")
}

/// Assert that a binary refused the caller's input in `o` (`what` names the case):
/// exit 2, `needle` on stderr, no panic, and one line, unless it is clap's own usage
/// error (which starts with `error:` and adds a usage hint). Prints the first line.
pub fn assert_refused(what: &str, o: &std::process::Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{what} -> exit {:?}: {}", o.status.code(), err.lines().next().unwrap_or(""));
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert!(err.contains(needle), "{what}: expected `{needle}` in {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    if !err.starts_with("error:") {
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
    }
}

/// A number as a document prints it, with half a unit of its last printed digit (the
/// most it can differ from the value it rounds): "2.15" gives (2.15, 0.005); `None` for
/// a word that is not a number.
pub fn stated_number(word: &str) -> Option<(f64, f64)> {
    // Plain decimals only: "inf", "NaN" and "1.5e3" are words, not printed figures.
    if !word.bytes().any(|b| b.is_ascii_digit()) || !word.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value = word.parse::<f64>().ok()?;
    let decimals = word.split_once('.').map_or(0, |(_, d)| d.len());
    Some((value, 0.5 * 10f64.powi(-(decimals as i32))))
}

/// The most a process may take to exit "at once" after a signal, on a loaded 2-core
/// machine.
pub const EXIT_AT_ONCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Send `signal` (as `kill` spells it: `-INT`, `-TERM`) to process `pid`; whether it
/// was delivered (a test asserts it; a clean-up in `Drop` must not panic on it).
#[must_use]
pub fn send_signal(pid: u32, signal: &str) -> bool {
    let sent = std::process::Command::new("kill").args([signal, &pid.to_string()]).status();
    sent.is_ok_and(|s| s.success())
}
