//! `serve` over TLS: tritonclient over HTTPS and gRPC over TLS, trusting a certificate
//! made here for 127.0.0.1, gets `infer`'s own images with the API key; an untrusting
//! client, plain HTTP and plain gRPC get nothing (tests/python/serve_tls.py). Files that
//! are not a certificate and its key are refused at start, in one line, exit 2.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::process::Command;

use common::{Server, infer, python, run_python, s};

/// A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn tritonclient_over_https_and_grpc_with_tls() {
    if !cli::ci::require("Python with tritonclient (scripts/setup.sh)", python().is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let (cert, key) = certificate(dir.path());
    let api_key = "5a4b3c2d1e0f98877665544332211000";
    std::fs::write(p("api-key"), format!("{api_key}\n")).unwrap();
    let z = p("z.npy");
    common::write_latents(&z, 9, 2);
    infer(&["--z", s(&z), "--raw", s(&p("want.npy"))]);
    let tls = ["--tls-cert", s(&cert), "--tls-key", s(&key)];
    let mut server = Server::start(&[&tls[..], &["--api-key-file", s(&p("api-key")), "--grpc-port", "0"]].concat());
    let (grpc, want) = (server.grpc.clone().unwrap(), p("want.npy"));
    let args = ["--http", &server.addr, "--grpc", &grpc, "--model", "dcgan", "--key", api_key, "--ca", s(&cert)];
    run_python("serve_tls.py", &[&args[..], &["--z", s(&z), "--want", s(&want)]].concat());
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn files_that_are_not_a_certificate_and_its_key_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let (_, other_key) = certificate(&{
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        other
    });
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not pem\n").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--tls-cert", s(&cert)], "--tls-key"),
        (&["--tls-cert", s(&junk), "--tls-key", s(&key)], "holds no certificate"),
        (&["--tls-cert", s(&cert), "--tls-key", s(&junk)], "holds no PEM private key"),
        (&["--tls-cert", s(&cert), "--tls-key", s(&other_key)], "cannot be used together"),
    ];
    for (args, needle) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_serve")).args(["--port", "0"]).args(args).output().unwrap();
        cli::ci::assert_refused(&format!("serve {args:?}"), &o, needle);
    }
}
