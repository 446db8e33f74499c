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
