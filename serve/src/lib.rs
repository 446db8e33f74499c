//! The generator as a network service (DESIGN.md §8): the Open Inference Protocol v2
//! (KServe's and Triton's REST protocol, JSON and binary tensors), a PNG endpoint for
//! pages and `<img>` tags, the model's bytes and the web page — over one [`Batcher`]
//! that coalesces concurrent requests into model runs and refuses work it cannot queue.
//!
//! A crate of its own, so that an app that embeds `dcgan-infer` compiles no HTTP stack.
//! The `serve` binary is a thin wrapper around [`Server::run`].

pub mod auth;
mod batcher;
mod connections;
mod dispatch;
mod grpc;
mod metrics;
mod ports;
mod routes;
pub mod samples;
mod tensors;
pub mod tls;
pub mod v2;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use batcher::{BATCH_BUCKETS, Batcher, Limits, Refused, Stats};
pub use connections::default_max_connections;

use dcgan_infer::Generator;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--model-name`: the name in every `/v2/models/{name}` path.
    pub model_name: String,
    /// Batching and queue limits.
    pub limits: Limits,
    /// Most rows in one request (infer or PNG).
    pub max_rows: usize,
    /// Largest request body (REST) or message (gRPC) in bytes.
    pub max_body_bytes: usize,
    /// Serve the web page from this folder (the files of `serve/web`: `index.html`, its
    /// scripts and `style.css`, and `node_modules/onnxruntime-web/dist/` for `/ort/`)
    /// instead of the copy compiled in.
    pub web_dir: Option<PathBuf>,
    /// Also serve gRPC on this address (port 0 picks one).
    pub grpc: Option<SocketAddr>,
    /// Origins whose pages may call the API (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Most connections open at once, REST and gRPC together.
    pub max_connections: usize,
    /// A connection that moves no byte for this long is closed.
    pub idle_timeout: Duration,
    /// After the shutdown signal, the requests in flight get this long to finish.
    pub drain_timeout: Duration,
    /// The API key and the groups open without it.
    pub auth: auth::Auth,
    /// TLS on both ports (`--tls-cert`, `--tls-key`); plain HTTP and gRPC without.
    pub tls: Option<tls::Tls>,
}

/// The server's name, version and protocol extensions, as both metadata calls say them.
pub(crate) const SERVER: (&str, &str, [&str; 2]) =
    ("dcgan-serve", env!("CARGO_PKG_VERSION"), ["binary_tensor_data", "parameters"]);

/// What every handler shares.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) generator: Arc<Generator>,
    pub(crate) batcher: Batcher,
    /// The bytes of the served model, for `GET /model.onnx` (shared, not copied).
    pub(crate) model_bytes: axum::body::Bytes,
    pub(crate) started: std::time::Instant,
    pub(crate) requests: std::sync::atomic::AtomicU64,
    pub(crate) errors: std::sync::atomic::AtomicU64,
    pub(crate) overloads: std::sync::atomic::AtomicU64,
    /// Inference requests (REST and gRPC), for `/metrics`.
    pub(crate) inference: metrics::Requests,
    /// `/v1/samples.png` requests, for `/metrics`.
    pub(crate) png: metrics::Requests,
    /// PNG grids drawn at once (each holds its grid in memory).
    pub(crate) renders: tokio::sync::Semaphore,
    /// Request bodies read and parsed at once.
    pub(crate) bodies: tokio::sync::Semaphore,
    /// Requests refused for a missing or wrong API key: REST, gRPC.
    pub(crate) unauthorized: [std::sync::atomic::AtomicU64; 2],
}

/// Request bodies read and parsed at once (each up to `--max-body-bytes`).
pub(crate) const BODIES: usize = 16;

/// `--drain-timeout-s`'s default: after SIGTERM, how long the requests in flight get
/// before `serve` exits anyway (a client that never finishes sending must not keep it
/// alive). Triton's `--exit-timeout-secs` default.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// PNG grids drawn at once.
const RENDERS: usize = 2;

/// A bound, ready service.
pub struct Server {
    listener: tokio::net::TcpListener,
    grpc: Option<tokio::net::TcpListener>,
    state: Arc<State>,
}

impl Server {
    /// Bind `addr` (port 0 picks one), and `config.grpc` when given, and start the
    /// batcher on `generator`, whose model bytes `model_bytes` are served at
    /// `/model.onnx`. Says (a warning) when the page cannot run because onnxruntime-web
    /// is missing.
    pub async fn bind(
        addr: SocketAddr,
        generator: Generator,
        model_bytes: std::borrow::Cow<'static, [u8]>,
        config: Config,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let grpc = match config.grpc {
            Some(addr) => Some(tokio::net::TcpListener::bind(addr).await?),
            None => None,
        };
        if let Some(why) = web::runtime_missing(config.web_dir.as_deref()) {
            tracing::warn!("{why}");
        }
        let model_bytes = match model_bytes {
            std::borrow::Cow::Borrowed(bytes) => axum::body::Bytes::from_static(bytes),
            std::borrow::Cow::Owned(bytes) => axum::body::Bytes::from(bytes),
        };
        let generator = Arc::new(generator.with_batch_size(config.limits.max_batch));
        let batcher = Batcher::start(Arc::clone(&generator), config.limits);
        let state = Arc::new(State {
            config,
            generator,
            batcher,
            model_bytes,
            started: std::time::Instant::now(),
            requests: Default::default(),
            errors: Default::default(),
            overloads: Default::default(),
            inference: Default::default(),
            png: Default::default(),
            renders: tokio::sync::Semaphore::new(RENDERS),
            bodies: tokio::sync::Semaphore::new(BODIES),
            unauthorized: Default::default(),
        });
        Ok(Self { listener, grpc, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The gRPC address actually bound, when gRPC is served.
    pub fn grpc_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.grpc.as_ref().map(tokio::net::TcpListener::local_addr)
    }

    /// Serve until `shutdown` resolves; then stop accepting, finish the requests in
    /// flight (for at most `config.drain_timeout`), drain the batcher and return.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { listener, grpc, state } = self;
        let gate = connections::Gate::new(state.config.max_connections, state.config.idle_timeout);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let tls = state.config.tls.clone();
        let stop = ports::Stop { stopped, drain: state.config.drain_timeout };
        let rest = ports::rest(listener, gate.clone(), routes::router(Arc::clone(&state)), tls.clone(), stop.clone());
        match grpc {
            Some(grpc) => {
                let grpc = ports::grpc(grpc, gate, grpc::service(Arc::clone(&state)), tls, stop);
                let (rest, grpc) = tokio::join!(rest, grpc);
                rest?;
                grpc?;
            }
            None => rest.await?,
        }
        let batcher = state.batcher.clone();
        tokio::task::spawn_blocking(move || batcher.close()).await.ok();
        let stats = state.batcher.stats();
        tracing::info!(
            requests = state.requests.load(std::sync::atomic::Ordering::Relaxed),
            errors = state.errors.load(std::sync::atomic::Ordering::Relaxed),
            overloads = state.overloads.load(std::sync::atomic::Ordering::Relaxed),
            model_runs = stats.runs,
            rows = stats.rows,
            peak_runs_in_flight = stats.peak_in_flight,
            uptime_s = state.started.elapsed().as_secs_f64(),
            "stopped"
        );
        Ok(())
    }
}

/// The default batching delay (`--max-delay-us`): waited only while a batch holds fewer
/// rows than the last one, so a lone client does not pay it.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_micros(5000);

/// The default `--runs-in-flight`: one run at a time, its rows split over every core
/// (BENCHMARKS.md, "serve under load": with two, the second run's smaller batch cost
/// binary REST 15% at 64 clients on two cores).
pub const DEFAULT_RUNS_IN_FLIGHT: usize = 1;
