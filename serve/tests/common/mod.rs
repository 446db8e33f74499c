//! Helpers shared by the integration tests that start `serve` or run Python.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use cli::ci::{arg as s, python, repo_root as root};

/// The `infer` binary beside `serve` (another package's: `cargo test --workspace` builds it).
pub fn infer_exe() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_serve")).with_file_name("infer");
    assert!(exe.is_file(), "{} is missing: cargo build --release -p dcgan-infer --features cli", exe.display());
    exe
}

/// Run `infer` with `args`, asserting success.
pub fn infer(args: &[&str]) {
    let o = Command::new(infer_exe()).args(args).output().unwrap();
    assert!(o.status.success(), "infer {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A `serve` on 127.0.0.1 and a free port; stopped (SIGTERM) when dropped.
pub struct Server {
    pub child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// `127.0.0.1:PORT` of gRPC, when started with `--grpc-port`.
    pub grpc: Option<String>,
}

impl Server {
    /// Start `serve` with `args` (plus `--host 127.0.0.1 --port 0`) and wait for its
    /// `listening on` line.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(Command::new(env!("CARGO_BIN_EXE_serve")), args)
    }

    /// [`Server::start`] with `serve` as `cmd` says (another binary, folder or
    /// environment).
    pub fn start_with(mut cmd: Command, args: &[&str]) -> Self {
        let mut child = cmd
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // `listening on http://ADDR` (https with TLS), then `grpc://ADDR` (grpcs).
        let mut listening = |scheme: &str| {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            let rest = line.trim().strip_prefix("listening on ").and_then(|r| r.split_once("://"));
            match rest {
                Some((s, addr)) if s.trim_end_matches('s') == scheme => addr.to_string(),
                _ => panic!("expected `listening on {scheme}(s)://…`, got {line:?}"),
            }
        };
        let addr = listening("http");
        let grpc = args.contains(&"--grpc-port").then(|| listening("grpc"));
        Self { child: Some(child), addr, grpc }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = cli::ci::send_signal(child.id(), "-TERM");
        child.wait().ok()?.code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Run tests/python/SCRIPT with `args`, printing what it says; it must exit 0.
pub fn run_python(script: &str, args: &[&str]) {
    let o = Command::new(python().unwrap()).arg(root().join("tests/python").join(script)).args(args).output().unwrap();
    print!("{}", String::from_utf8_lossy(&o.stdout));
    eprint!("{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{script} found a problem");
}

/// `path` as a `.npy` of z `[n,100]` drawn with SplitMix64(`seed`), as `infer --seed` draws it.
pub fn write_latents(path: &Path, seed: u64, n: usize) {
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[n as u64, 100])
        .writer(std::fs::File::create(path).unwrap())
        .begin_nd()
        .unwrap();
    w.extend(dcgan_infer::latents(seed, n)).unwrap();
    w.finish().unwrap();
}

/// The page served at `addr` in Chromium (tests/python/web_test.py) must draw what
/// `infer --seed 42 -n 16 --scale 2` wrote to `raw` and `png` (with `--digit D` for a
/// conditional model's `digit`; `precision`: what the file's metadata must name). The
/// screenshot goes to target/tmp/web-NAME/.
pub fn page_draws(addr: &str, raw: &Path, png: &Path, name: &str, digit: Option<u8>, precision: Option<&str>) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("web-{name}"));
    let mut cmd = Command::new(python().unwrap());
    cmd.arg(root().join("tests/python/web_test.py"))
        .args(["--url", &format!("http://{addr}/"), "--raw", s(raw), "--png", s(png)])
        .args(["--seed", "42", "--n", "16", "--scale", "2", "--out", s(&out)]);
    if let Some(d) = digit {
        cmd.args(["--conditional-digit", &d.to_string()]);
    }
    if let Some(p) = precision {
        cmd.args(["--precision", p]);
    }
    let o = cmd.output().unwrap();
    print!("{}", String::from_utf8_lossy(&o.stdout));
    eprint!("{}", String::from_utf8_lossy(&o.stderr));
    println!("screenshot: {}", out.join("page.png").display());
    assert!(o.status.success(), "the browser test failed for {name}");
}

/// Whether the browser test can run: Chromium, onnxruntime-web and Playwright.
pub fn browser_ready() -> bool {
    let web = root().join("serve/web/node_modules/onnxruntime-web/dist");
    let chromium = Path::new("/usr/bin/chromium").exists();
    cli::ci::require(
        "Chromium, onnxruntime-web and Playwright (scripts/setup-web.sh)",
        chromium && web.is_dir() && python().is_some(),
    )
}
