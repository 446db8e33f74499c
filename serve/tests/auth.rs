//! `serve` on a network: with `--api-key-file`, tritonclient over HTTP and gRPC is
//! refused without the key or with a wrong one and gets `infer`'s own images with it,
//! health stays open (tests/python/serve_auth.py); an address other than loopback without
//! a key is refused at start, in one line that says how to set one.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::process::Command;

use common::{Server, infer, python, run_python, s};

#[test]
fn tritonclient_needs_the_key_and_health_does_not() {
    if !cli::ci::require("Python with tritonclient (scripts/setup.sh)", python().is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let key = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    std::fs::write(p("key"), format!("{key}\n")).unwrap();
    let z = p("z.npy");
    common::write_latents(&z, 5, 3);
    infer(&["--z", s(&z), "--raw", s(&p("want.npy"))]);
    let mut server = Server::start(&["--api-key-file", s(&p("key")), "--grpc-port", "0"]);
    let grpc = server.grpc.clone().unwrap();
    let want = p("want.npy");
    run_python(
        "serve_auth.py",
        &["--http", &server.addr, "--grpc", &grpc, "--model", "dcgan", "--key", key, "--z", s(&z), "--want", s(&want)],
    );
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn a_network_address_without_a_key_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short");
    std::fs::write(&short, "tooshort\n").unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--host", "0.0.0.0"], "give --api-key-file FILE"),
        (&["--host", "::"], "give --api-key-file FILE"),
        (&["--api-key-file", s(&short)], "the key is 8 bytes; use at least 16"),
    ];
    for (args, needle) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_serve"))
            .args(["--port", "0"])
            .args(args)
            .env_remove("DCGAN_API_KEY_FILE")
            .output()
            .unwrap();
        cli::ci::assert_refused(&format!("serve {args:?}"), &o, needle);
    }
}
