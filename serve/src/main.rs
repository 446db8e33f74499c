//! `serve`: the generator as an Open Inference Protocol v2 service (DESIGN.md §8).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use dcgan_infer::{Backend, Device, Generator, ModelSource};
use dcgan_serve::auth::{Auth, Group};
use dcgan_serve::{Config, Limits, Server};

/// Serve the exported ONNX generator over HTTP: the Open Inference Protocol v2 (the REST
/// protocol of KServe and Triton, so `tritonclient` works unchanged; JSON and binary
/// tensors), `GET /v1/samples.png?seed=&n=&cols=&scale=&digit=` (the PNG `infer` writes),
/// `GET /model.onnx` and the web page at `/`.
///
/// Concurrent requests are coalesced into model runs of up to --max-batch rows, waiting
/// at most --max-delay-us; past --max-queue-rows queued rows a request gets 503 at once.
/// SIGTERM or Ctrl-C stops accepting, finishes the requests in flight and exits 0.
/// Logs: a summary at info level; RUST_LOG=debug adds one line per request.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100, allow_negative_numbers = true)]
struct Cli {
    /// The generator ONNX file [default: the built-in models/gen.onnx].
    #[arg(long, value_name = "FILE")]
    onnx: Option<PathBuf>,
    /// Runtime: tract (pure Rust) or ort (ONNX Runtime) [default: tract; ort with --device cuda].
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// cpu, cuda or cuda:N (ort only; never falls back to the CPU).
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one; the first line on stdout names it).
    #[arg(long, default_value_t = 8000, value_parser = cli::between(0, 65535))]
    port: usize,
    /// The model's name in /v2/models/{name}.
    #[arg(long, default_value = "dcgan")]
    model_name: String,
    /// Most rows in one model run, 1–4096.
    #[arg(long, default_value_t = 256, value_parser = cli::between(1, 4096))]
    max_batch: usize,
    /// Longest wait in microseconds for more rows before a model run, 0–1000000; waited
    /// only while a batch holds fewer rows than the last run did.
    #[arg(long, default_value_t = dcgan_serve::DEFAULT_MAX_DELAY.as_micros() as usize, value_parser = cli::between(0, 1_000_000))]
    max_delay_us: usize,
    /// Most rows queued or running; beyond it requests get 503 with Retry-After
    /// [default: 4 × --max-rows].
    #[arg(long, value_parser = cli::between(1, 1 << 24))]
    max_queue_rows: Option<usize>,
    /// Most rows (images) in one request, 1–65536.
    #[arg(long, default_value_t = 4096, value_parser = cli::between(1, 65536))]
    max_rows: usize,
    /// Largest request body in bytes [default: room for --max-rows rows of z as JSON].
    #[arg(long, value_parser = cli::between(1024, 1 << 30))]
    max_body_bytes: Option<usize>,
    /// Cores per model run, 1–1024: tract runs this many 16-row chunks at once, ort this
    /// many intra-op threads [default: every core].
    #[arg(long, value_name = "N", value_parser = cli::between(1, 1024))]
    threads: Option<usize>,
    /// Model runs at once when rows wait, 1–64: with more than one, the next batch gathers
    /// while one runs (each then gets fewer cores).
    #[arg(long, value_name = "N", default_value_t = dcgan_serve::DEFAULT_RUNS_IN_FLIGHT, value_parser = cli::between(1, 64))]
    runs_in_flight: usize,
    /// Also serve the Open Inference Protocol over gRPC on this port (0 picks a free one)
    /// [default: off].
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16))]
    grpc_port: Option<u16>,
    /// Let pages of this origin (scheme://host[:port]) call the API from the browser
    /// (CORS); repeat for more [default: none].
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = origin)]
    cors_origins: Vec<String>,
    /// Most connections open at once, REST and gRPC together; when all are taken, the
    /// oldest that has sent nothing is closed to make room, else new ones wait [default:
    /// the open-file limit less 2048, or half of it].
    #[arg(long, value_name = "N", value_parser = cli::between(1, 1 << 20))]
    max_connections: Option<usize>,
    /// Close a connection that moves no byte for this many seconds, 1–3600.
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = cli::between(1, 3600))]
    idle_timeout_s: usize,
    /// After SIGTERM or Ctrl-C, give the requests in flight this many seconds to finish
    /// before exiting anyway, 1–3600.
    #[arg(long, value_name = "S", default_value_t = dcgan_serve::DEFAULT_DRAIN_TIMEOUT.as_secs() as usize, value_parser = cli::between(1, 3600))]
    drain_timeout_s: usize,
    /// Serve the web page from this folder (index.html, its scripts, style.css and
    /// node_modules/onnxruntime-web, as in serve/web) instead of the copy built in, for
    /// editing the page without rebuilding.
    #[arg(long, value_name = "DIR")]
    web_dir: Option<PathBuf>,
    /// Require `Authorization: Bearer KEY` (gRPC: the same metadata) with the key on this
    /// file's first line (at least 16 bytes, e.g. from `openssl rand -hex 32`); health
    /// stays open [default: $DCGAN_API_KEY_FILE, else no key]
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// With a key, API groups open to anyone besides health: metadata, model (the
    /// weights at /model.onnx), metrics, page; comma-separated or repeated [default:
    /// none]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "GROUP")]
    open: Vec<Group>,
    /// Serve an address other than loopback without a key (anyone who can reach it may
    /// generate, and download the weights).
    #[arg(long)]
    insecure_no_auth: bool,
    /// Serve HTTPS and gRPC over TLS with this PEM certificate chain (leaf first); needs
    /// --tls-key [default: plain HTTP and gRPC]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert's leaf (PKCS#8, PKCS#1 or SEC1)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A model that makes tract panic is refused in one line (the error carries the panic).
    dcgan_infer::quiet_guarded_panics();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve: {e:#}");
            let code = match (e.downcast_ref::<dcgan_infer::Error>(), e.downcast_ref::<std::io::Error>()) {
                (Some(e), _) => e.exit_code(),
                (None, Some(io)) => cli::io_exit_code(io.kind()),
                (None, None) => cli::EXIT_FAULT,
            };
            ExitCode::from(code)
        }
    }
}

/// The key and open groups the flags ask for; a non-loopback address without a key is
/// refused unless --insecure-no-auth says so.
fn auth(cli: &Cli) -> anyhow::Result<Auth> {
    let file = cli.api_key_file.clone().or_else(|| std::env::var_os("DCGAN_API_KEY_FILE").map(PathBuf::from));
    let Some(file) = file else {
        if !cli.host.is_loopback() && !cli.insecure_no_auth {
            return Err(dcgan_infer::Error::BadInput(format!(
                "--host {} is reachable from other machines: give --api-key-file FILE (e.g. `openssl rand -hex 32 > FILE`), or --insecure-no-auth to serve it to anyone",
                cli.host
            ))
            .into());
        }
        return Ok(Auth::none());
    };
    let key = Auth::read_key(&file).map_err(|e| dcgan_infer::Error::BadInput(e.to_string()))?;
    Ok(Auth::with_key(key, &cli.open))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let auth = auth(&cli)?;
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Some(
            dcgan_serve::tls::Tls::from_pem_files(cert, key)
                .map_err(|e| dcgan_infer::Error::BadInput(e.to_string()))?,
        ),
        _ => None,
    };
    let device = cli.device;
    let backend = Backend::choose(cli.backend, device);
    let source = ModelSource::choose(cli.onnx.as_deref(), false);
    let bytes = source.bytes()?;
    let builder = Generator::builder().bytes(&bytes[..]).backend(backend).device(device);
    let builder = match cli.threads {
        Some(threads) => builder.threads(threads),
        None => builder,
    };
    let generator = builder.build().with_context(|| format!("loading {source}"))?;
    let max_queue_rows = cli.max_queue_rows.unwrap_or(4 * cli.max_rows);
    if max_queue_rows < cli.max_rows {
        return Err(dcgan_infer::Error::BadInput(format!(
            "--max-queue-rows {max_queue_rows} is below --max-rows {}: a full request could never be queued",
            cli.max_rows
        ))
        .into());
    }
    let config = Config {
        model_name: cli.model_name,
        limits: Limits {
            max_batch: cli.max_batch,
            max_delay: Duration::from_micros(cli.max_delay_us as u64),
            max_queue_rows,
            runs_in_flight: cli.runs_in_flight,
        },
        max_rows: cli.max_rows,
        // JSON numbers of z take up to ~25 bytes each.
        max_body_bytes: cli.max_body_bytes.unwrap_or(cli.max_rows * generator.info().latent_dim * 25 + 65536),
        web_dir: cli.web_dir,
        grpc: cli.grpc_port.map(|port| SocketAddr::new(cli.host, port)),
        cors_origins: cli.cors_origins,
        max_connections: cli.max_connections.unwrap_or_else(dcgan_serve::default_max_connections),
        idle_timeout: Duration::from_secs(cli.idle_timeout_s as u64),
        drain_timeout: Duration::from_secs(cli.drain_timeout_s as u64),
        auth,
        tls,
    };
    let config_auth_required = config.auth.required();
    if config_auth_required && config.tls.is_none() && !cli.host.is_loopback() {
        tracing::warn!(
            "the API key crosses the network in clear text: give --tls-cert and --tls-key, or serve behind a TLS proxy"
        );
    }
    let (http, grpc) = if config.tls.is_some() { ("https", "grpcs") } else { ("http", "grpc") };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let addr = SocketAddr::new(cli.host, cli.port as u16);
        let server =
            Server::bind(addr, generator, bytes, config).await.with_context(|| format!("listening on {addr}"))?;
        let bound = server.local_addr()?;
        println!("listening on {http}://{bound}");
        if let Some(addr) = server.grpc_addr() {
            println!("listening on {grpc}://{}", addr?);
        }
        use std::io::Write as _;
        std::io::stdout().flush()?;
        tracing::info!(model = %source, ?backend, api_key = config_auth_required, "serving");
        server.run(shutdown_signal()).await?;
        Ok(())
    })
}

/// SIGTERM or Ctrl-C; a second one exits at once.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: finishing the requests in flight"),
        _ = int.recv() => tracing::info!("SIGINT: finishing the requests in flight"),
    }
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => std::process::exit(143),
            _ = int.recv() => std::process::exit(130),
        }
    });
}

/// An origin as browsers send it: `http://` or `https://`, a host, an optional port, no path.
fn origin(text: &str) -> Result<String, String> {
    let rest = text.strip_prefix("http://").or_else(|| text.strip_prefix("https://"));
    let ok = rest.is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)));
    if ok { Ok(text.to_string()) } else { Err(format!("`{text}` is not an origin such as http://localhost:8080")) }
}
