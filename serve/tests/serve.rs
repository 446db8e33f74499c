//! `serve` against real clients: the official `tritonclient`, over HTTP and gRPC
//! (metadata, infer with binary, JSON, raw and typed tensors, seeded requests, every bad
//! request, garbage on a raw socket), the
//! PNG endpoint byte for byte, a graceful shutdown, and the Triton repository `export`
//! writes, parsed with Triton's own schema.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::io::{Read, Write};
use std::process::Command;

use common::{Server, infer, python, root, s};

const MAX_ROWS: &str = "64";

/// Run tests/python/serve_client.py against `serve --onnx MODEL` (with `digit` for a
/// conditional model), with references made by `infer` on the same model and backend.
fn check_with_tritonclient(model: &str, digit: Option<u8>) {
    if !cli::ci::require("Python with tritonclient (scripts/setup.sh)", python().is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let onnx = root().join(model);
    let p = |name: &str| dir.path().join(name);
    let digit_text = digit.map(|d| d.to_string());
    let digit_flags: Vec<&str> = digit_text.as_deref().map_or(vec![], |d| vec!["--digit", d]);
    let (z, want, seed_want) = (p("z.npy"), p("want.npy"), p("seed.npy"));
    common::write_latents(&z, 11, 5);
    infer(&[&["--onnx", s(&onnx), "--z", s(&z), "--raw", s(&want)][..], &digit_flags].concat());
    infer(&[&["--onnx", s(&onnx), "--seed", "7", "-n", "6", "--raw", s(&seed_want)][..], &digit_flags].concat());
    let grid_png = p("grid.png");
    let grid = ["--onnx", s(&onnx), "--seed", "3", "-n", "10", "--cols", "4", "--scale", "2", "--out", s(&grid_png)];
    infer(&[&grid[..], &digit_flags].concat());
    let query =
        format!("seed=3&n=10&cols=4&scale=2{}", digit_text.as_deref().map_or(String::new(), |d| format!("&digit={d}")));

    let mut server = Server::start(&["--onnx", s(&onnx), "--max-rows", MAX_ROWS, "--grpc-port", "0"]);
    let mut cond_flags = vec!["--conditional"];
    cond_flags.extend(&digit_flags);
    let cond_flags = if digit.is_some() { &cond_flags[..] } else { &[] };
    let rest = ["--z", s(&z), "--want", s(&want), "--seed", "7", "--count", "6", "--seed-want", s(&seed_want)];
    let png = ["--png", s(&grid_png), "--png-query", &query, "--onnx", s(&onnx)];
    let http = ["--url", &server.addr, "--model", "dcgan", "--max-rows", MAX_ROWS];
    common::run_python("serve_client.py", &[&http[..], &rest, &png, cond_flags].concat());

    // The same over gRPC, with tritonclient.grpc.
    let grpc = server.grpc.clone().unwrap();
    let grpc = ["check", "--url", &grpc, "--model", "dcgan", "--max-rows", MAX_ROWS];
    common::run_python("serve_grpc.py", &[&grpc[..], &rest, cond_flags].concat());
    assert_eq!(server.stop(), Some(0), "SIGTERM ends serve with status 0");
}

#[test]
fn tritonclient_and_plain_http_get_what_infer_writes() {
    check_with_tritonclient("models/gen.onnx", None);
}

#[test]
fn the_conditional_model_is_served_with_its_label() {
    check_with_tritonclient("models/gen-cond.onnx", Some(4));
}

/// SIGTERM while a request is in flight: the request is answered, then serve exits 0.
#[test]
fn shutdown_finishes_the_requests_in_flight() {
    let onnx = root().join("models/gen.onnx");
    // A long batching delay keeps the request in flight when the signal lands.
    let mut server = Server::start(&["--onnx", s(&onnx), "--max-delay-us", "1000000", "--max-batch", "4096"]);
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    let body = r#"{"parameters":{"seed":1,"count":4}}"#;
    write!(stream, "POST /v2/models/dcgan/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let status = std::thread::spawn(move || server.stop());
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{}", &answer[..answer.len().min(200)]);
    assert!(answer.contains("\"outputs\""));
    assert_eq!(status.join().unwrap(), Some(0));
}

/// A second signal while serve waits for a request in flight exits at once, 128+N.
#[test]
fn a_second_signal_during_the_drain_exits_at_once() {
    use std::time::{Duration, Instant};
    let mut server = Server::start(&["--idle-timeout-s", "60"]);
    // Headers without the body they announce: a request in flight for as long as the
    // drain allows (--drain-timeout-s, 30 s by default).
    let _stream = request_in_flight(&server);
    std::thread::sleep(Duration::from_millis(200));
    assert!(cli::ci::send_signal(server.pid(), "-TERM"));
    std::thread::sleep(Duration::from_millis(500));
    let child = server.child.as_mut().unwrap();
    assert!(child.try_wait().unwrap().is_none(), "serve left before the request in flight was done");
    let sent = Instant::now();
    assert!(cli::ci::send_signal(child.id(), "-INT"));
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    server.child = None; // reaped: nothing left for Drop to stop
    println!(
        "SIGTERM, then SIGINT 0.5 s into the drain: exit {:?} after {:.3} s (limit {:?})",
        status.code(),
        took.as_secs_f64(),
        cli::ci::EXIT_AT_ONCE
    );
    assert_eq!(status.code(), Some(130));
    assert!(took < cli::ci::EXIT_AT_ONCE);
}

/// A request whose headers are sent and whose body never is: in flight until the drain
/// gives up on it (the stream must live as long as the request should).
fn request_in_flight(server: &Server) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(stream, "POST /v2/models/dcgan/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n").unwrap();
    stream
}

/// After SIGTERM, a request that never completes keeps `serve` for --drain-timeout-s
/// and no longer; then it exits 0, as after any drain. The README states the default
/// (also checked, with the other defaults it states, by the last test here).
#[test]
fn the_drain_ends_at_its_timeout() {
    use std::time::{Duration, Instant};
    const DRAIN: Duration = Duration::from_secs(1);
    let mut server = Server::start(&["--idle-timeout-s", "60", "--drain-timeout-s", &DRAIN.as_secs().to_string()]);
    let _stream = request_in_flight(&server);
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    assert!(cli::ci::send_signal(server.pid(), "-TERM"));
    let status = server.child.as_mut().unwrap().wait().unwrap();
    let took = sent.elapsed();
    server.child = None; // reaped: nothing left for Drop to stop
    println!(
        "SIGTERM with a request in flight, --drain-timeout-s {}: exit {:?} after {:.3} s (window {:?}..{:?})",
        DRAIN.as_secs(),
        status.code(),
        took.as_secs_f64(),
        DRAIN,
        DRAIN + cli::ci::EXIT_AT_ONCE
    );
    assert_eq!(status.code(), Some(0));
    assert!(took >= DRAIN && took < DRAIN + cli::ci::EXIT_AT_ONCE);
    let readme =
        std::fs::read_to_string(root().join("README.md")).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = format!("`--drain-timeout-s` ({}) seconds", dcgan_serve::DEFAULT_DRAIN_TIMEOUT.as_secs());
    assert!(readme.contains(&stated), "README does not say {stated:?}");
}

/// `export --triton DIR` writes a repository whose config.pbtxt Triton's own schema
/// (tritonclient's model_config_pb2) parses, for both kinds and for the conditional
/// model (its `label`: dims `[1]` reshaped to a scalar per row).
#[test]
fn the_triton_repository_parses_with_tritons_schema() {
    if !cli::ci::require("Python with tritonclient (scripts/setup.sh)", python().is_some()) {
        return;
    }
    let python = python().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (run, kind, name) in
        [("models", "gpu", "dcgan"), ("models", "cpu", "dcgan_cpu"), ("models/cond", "gpu", "digits")]
    {
        let models = root().join(run);
        let repo = dir.path().join("repo");
        let (built, _) = export::export_triton(
            &models,
            &export::triton::Repository {
                dir: repo.clone(),
                model_name: name.into(),
                kind: if kind == "gpu" { export::triton::Kind::Gpu } else { export::triton::Kind::Cpu },
                max_batch_size: 256,
                max_delay_us: 2000,
            },
            export::Bn::Folded,
        )
        .unwrap();
        assert!(built.join("1/model.onnx").is_file());
        let check = r#"
import sys
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc
c = text_format.Parse(open(sys.argv[1]).read(), mc.ModelConfig())
assert c.name == sys.argv[2] and c.platform == "onnxruntime_onnx" and c.max_batch_size == 256, c
assert [(i.name, mc.DataType.Name(i.data_type), list(i.dims)) for i in c.input][0] == ("z", "TYPE_FP32", [100]), c.input
if sys.argv[2] == "digits":
    label = c.input[1]
    assert (label.name, mc.DataType.Name(label.data_type), list(label.dims), list(label.reshape.shape)) == ("label", "TYPE_INT64", [1], []), label
assert [(o.name, list(o.dims)) for o in c.output] == [("image", [1, 28, 28])], c.output
assert c.dynamic_batching.max_queue_delay_microseconds == 2000
kind = mc.ModelInstanceGroup.Kind.Name(c.instance_group[0].kind)
assert kind == sys.argv[3], kind
print(f"{sys.argv[1]}: parsed by Triton's ModelConfig schema: {c.name}, {c.platform}, max_batch_size {c.max_batch_size}, {kind}")
"#;
        let want_kind = if kind == "gpu" { "KIND_GPU" } else { "KIND_CPU" };
        let o = Command::new(&python)
            .args(["-c", check, s(&built.join("config.pbtxt")), name, want_kind])
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&o.stdout));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// `serve`'s bad flags and files: exit 2, one line, no panic, nothing listening.
#[test]
fn bad_input_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.onnx");
    std::fs::write(&text, "not a model").unwrap();
    let onnx = root().join("models/gen.onnx");
    let missing = dir.path().join("missing.onnx");
    let g = s(&onnx);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--onnx", s(&text)], "not an ONNX model"),
        (vec!["--onnx", s(&missing)], "No such file"),
        (vec!["--onnx", g, "--port", "70000"], "--port"),
        (vec!["--onnx", g, "--max-rows", "64", "--max-queue-rows", "32"], "--max-queue-rows"),
        (vec!["--onnx", g, "--max-batch", "0"], "--max-batch"),
        (vec!["--onnx", g, "--device", "tpu"], "--device"),
        (vec!["--onnx", g, "--host", "not-an-address"], "--host"),
        (vec!["--onnx", g, "--backend", "tract", "--device", "cuda"], "CPU only"),
    ];
    for (args, needle) in &cases {
        let o = Command::new(env!("CARGO_BIN_EXE_serve")).args(["--port", "0"]).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        println!("{args:?} -> exit {:?}: {}", o.status.code(), err.lines().next().unwrap_or(""));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: expected `{needle}` in {err}");
        assert!(!err.contains("panicked") && o.stdout.is_empty(), "{args:?}: {err}");
    }
}

/// The defaults the README's "Serve" section states, `--flag` … (N), are the binary's.
#[test]
fn the_readmes_serve_defaults_are_the_binarys() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme.split("\n## Serve").nth(1).unwrap().split("\n## ").next().unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_serve")).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let mut checked = 0;
    for (i, _) in section.match_indices("`--") {
        let flag = section[i + 1..].split('`').next().unwrap();
        let after = &section[i + 2 + flag.len()..];
        // `--flag` rows (256): a number in brackets within a few words of the flag.
        let Some(open) = after.find('(').filter(|&o| o < 16 && !after[..o].contains('`')) else { continue };
        let Some(value) = after[open + 1..].split(')').next().filter(|v| v.parse::<u64>().is_ok()) else { continue };
        let block = help.split(&format!("  {flag} ")).nth(1).unwrap_or_else(|| panic!("{flag} is not in serve --help"));
        let block = block.split("\n  -").next().unwrap();
        let default = block.split("[default: ").nth(1).and_then(|d| d.split(']').next());
        println!("README: {flag} ({value}); --help: [default: {}]", default.unwrap_or("none"));
        assert!(block.contains(&format!("[default: {value}]")), "README says {flag} ({value})");
        checked += 1;
    }
    assert!(checked >= 3, "found only {checked} defaults in the README's Serve section");
}
