//! The rest of `serve`'s protocol surface (DESIGN.md §11): gRPC under overload and at
//! shutdown, REST under overload, `/metrics` after known traffic (prometheus_client's
//! parser), cross-origin calls from a page in Chromium, the page's isolation headers,
//! and bounded connections.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, infer, python, run_python, s};

fn need_python() -> bool {
    cli::ci::require("Python with tritonclient and prometheus_client (scripts/setup.sh)", python().is_some())
}

/// A full queue is RESOURCE_EXHAUSTED; SIGTERM lets the request in flight finish, later
/// calls are UNAVAILABLE, and serve exits 0.
#[test]
fn grpc_refuses_work_it_cannot_queue_and_finishes_work_in_flight() {
    if !need_python() {
        return;
    }
    // A first request of 40 rows waits up to 1 s for company, holding 40 of the 64 rows
    // the queue may hold: a second one of 40 does not fit.
    let args = ["--grpc-port", "0", "--max-rows", "64", "--max-queue-rows", "64", "--max-delay-us", "1000000"];
    let mut server = Server::start(&args);
    let (grpc, pid) = (server.grpc.clone().unwrap(), server.pid().to_string());
    run_python("serve_grpc.py", &["limits", "--url", &grpc, "--pid", &pid, "--rows", "40"]);
    let status = server.child.take().unwrap().wait().unwrap();
    assert_eq!(status.code(), Some(0), "serve exits 0 after SIGTERM");
}

/// `/metrics` as text.
fn metrics(addr: &str) -> String {
    round_trip(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
}

/// The same over REST: a request the queue cannot hold gets 503 with `Retry-After` at
/// once, and the one queued before it still gets its images.
#[test]
fn rest_answers_a_full_queue_with_503_and_retry_after() {
    const AT_ONCE: Duration = Duration::from_millis(500);
    const QUEUED_WITHIN: Duration = Duration::from_millis(800);
    // The first request waits 1 s (the longest --max-delay-us) for company; the second is
    // sent as soon as /metrics shows the first's 40 rows queued, not after a guessed sleep.
    let args = ["--max-rows", "64", "--max-queue-rows", "64", "--max-delay-us", "1000000"];
    let server = Server::start(&args);
    let body = r#"{"parameters":{"seed":1,"count":40}}"#;
    let request = format!(
        "POST /v2/models/dcgan/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (addr, first_request) = (server.addr.clone(), request.clone());
    let first = std::thread::spawn(move || exchange(&addr, &first_request));
    let started = Instant::now();
    while !metrics(&server.addr).contains("dcgan_queue_rows{model=\"dcgan\",version=\"1\"} 40") {
        assert!(started.elapsed() < QUEUED_WITHIN, "the first request is not queued after {QUEUED_WITHIN:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let (status, headers) = exchange(&server.addr, &request);
    let took = started.elapsed();
    println!(
        "second request of 40 rows: {status} in {:.3} s (limit {} s); {headers:?}",
        took.as_secs_f64(),
        AT_ONCE.as_secs_f64()
    );
    assert!(status.contains(" 503"), "{status}");
    assert!(headers.iter().any(|h| h == "retry-after: 1"), "{headers:?}");
    assert!(took < AT_ONCE, "refused at once, not after the batching delay");
    let (status, _) = first.join().unwrap();
    assert!(status.contains(" 200"), "the queued request: {status}");
}

#[test]
fn metrics_count_rest_and_grpc_traffic() {
    if !need_python() {
        return;
    }
    let server = Server::start(&["--grpc-port", "0"]);
    run_python("serve_metrics.py", &["--http", &server.addr, "--grpc", server.grpc.as_ref().unwrap()]);
}

/// One HTTP/1.1 exchange on a fresh connection: the whole answer as the server sent it.
fn round_trip(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// The status line and the headers, lowercased, of [`round_trip`]'s answer.
fn exchange(addr: &str, request: &str) -> (String, Vec<String>) {
    let answer = round_trip(addr, request);
    let head = answer.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines().map(str::to_string);
    let status = lines.next().unwrap_or_default();
    (status, lines.map(|l| l.to_ascii_lowercase()).collect())
}

fn preflight(addr: &str, origin: &str) -> (String, Vec<String>) {
    exchange(
        addr,
        &format!(
            "OPTIONS /v2/models/dcgan/infer HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\
             Connection: close\r\n\r\n"
        ),
    )
}

/// The URL path of every file of the page in serve/web (`/` for index.html), from the
/// folder itself: a file the page gains is checked without a list kept by hand.
fn page_paths() -> Vec<String> {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut paths: Vec<String> = std::fs::read_dir(web)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| [".html", ".js", ".css"].iter().any(|ext| name.ends_with(ext)))
        .map(|name| if name == "index.html" { "/".into() } else { format!("/{name}") })
        .collect();
    paths.sort();
    assert!(paths.len() >= 6, "the page's files: {paths:?}");
    paths
}

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn pages_of_allowed_origins_may_call_the_api_and_the_page_is_isolated() {
    let (allowed, other) = (free_port(), free_port());
    let origin = format!("http://127.0.0.1:{allowed}");
    let server = Server::start(&["--cors-origin", &origin]);
    let (status, headers) = preflight(&server.addr, &origin);
    println!("preflight from {origin}: {status} {headers:?}");
    assert!(status.contains(" 200"), "{status}");
    assert!(headers.contains(&format!("access-control-allow-origin: {origin}")), "{headers:?}");
    let (_, headers) = preflight(&server.addr, &format!("http://127.0.0.1:{other}"));
    assert!(!headers.iter().any(|h| h.starts_with("access-control-allow-origin")), "{headers:?}");

    // Without --cors-origin: no CORS at all; the page's own files are cross-origin isolated.
    let plain = Server::start(&[]);
    let (status, headers) = preflight(&plain.addr, &origin);
    println!("preflight without --cors-origin: {status}");
    assert!(!headers.iter().any(|h| h.starts_with("access-control-")), "{headers:?}");
    for path in page_paths() {
        let (status, headers) =
            exchange(&plain.addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        assert!(status.contains(" 200"), "{path}: {status}");
        for h in ["cross-origin-opener-policy: same-origin", "cross-origin-embedder-policy: require-corp"] {
            assert!(headers.iter().any(|l| l == h), "{path}: no `{h}` in {headers:?}");
        }
    }

    if !common::browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("want.npy");
    infer(&["--seed", "42", "-n", "2", "--raw", s(&raw)]);
    let api = format!("http://{}", server.addr);
    let (a, b) = (allowed.to_string(), other.to_string());
    run_python("cors_test.py", &["--api", &api, "--allowed-port", &a, "--other-port", &b, "--raw", s(&raw)]);
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Idle sockets, 25 times more than --max-connections: with the idle timeout far away
/// (60 s), the oldest silent one is closed to make room for each newcomer, the rest wait
/// in the kernel's backlog, and a well-formed request still gets its answer at once
/// while memory stays flat.
#[test]
fn idle_sockets_beyond_the_limit_do_not_starve_a_request() {
    const LIMIT: usize = 8;
    const IDLE_SOCKETS: usize = 200;
    const ANSWER_WITHIN: Duration = Duration::from_secs(10);
    const RSS_GROWTH_KIB: u64 = 16 * 1024;
    let server = Server::start(&["--max-connections", &LIMIT.to_string(), "--idle-timeout-s", "60"]);
    let before = rss_kib(server.pid());
    let idle: Vec<TcpStream> = (0..IDLE_SOCKETS).map(|_| TcpStream::connect(&server.addr).unwrap()).collect();
    let started = Instant::now();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    write!(stream, "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let took = started.elapsed();
    let after = rss_kib(server.pid());
    println!(
        "{IDLE_SOCKETS} idle sockets, --max-connections {LIMIT}, --idle-timeout-s 60: answered in {:.2} s \
         (limit {} s); RSS {before} -> {after} KiB (growth limit {RSS_GROWTH_KIB} KiB)",
        took.as_secs_f64(),
        ANSWER_WITHIN.as_secs()
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(after.saturating_sub(before) <= RSS_GROWTH_KIB);
    // An accepted idle socket was closed by the server: reading it ends.
    let mut first = &idle[0];
    first.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    let mut byte = [0u8; 1];
    let closed = first.read(&mut byte);
    assert!(
        matches!(&closed, Ok(0)) || matches!(&closed, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "an accepted idle socket stays open: {closed:?}"
    );
    drop(idle);
}

/// A connection that moves no byte is closed after --idle-timeout-s, not before, with
/// every other place free.
#[test]
fn a_silent_connection_is_closed_after_the_idle_timeout() {
    const IDLE: Duration = Duration::from_secs(1);
    const SLACK: Duration = Duration::from_secs(5);
    let server = Server::start(&["--idle-timeout-s", &IDLE.as_secs().to_string()]);
    let started = Instant::now();
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    silent.set_read_timeout(Some(IDLE + SLACK)).unwrap();
    let closed = silent.read(&mut [0u8; 1]);
    let took = started.elapsed();
    println!(
        "silent connection, --idle-timeout-s 1: {closed:?} after {:.2} s (window {:?}..{:?})",
        took.as_secs_f64(),
        IDLE,
        IDLE + SLACK
    );
    assert!(matches!(closed, Ok(0)), "closed by the server: {closed:?}");
    assert!(took >= IDLE && took < IDLE + SLACK, "closed after {took:?}");
}
