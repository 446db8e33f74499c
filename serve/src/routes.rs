//! The HTTP routes (DESIGN.md §8) and their errors: JSON `{"error": "..."}` with a 4xx
//! for the caller's fault, 503 with `Retry-After` when the queue is full, 500 for ours.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State as Shared};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::dispatch::Refusal;
use crate::v2;
use crate::{State, metrics, samples, web};

/// An error answer.
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl ApiError {
    pub(crate) fn bad(text: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, text.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let status = match r {
            Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Full | Refusal::Closing => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Ours(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, r.message())
    }
}

impl From<dcgan_infer::Error> for ApiError {
    fn from(e: dcgan_infer::Error) -> Self {
        Refusal::from(e).into()
    }
}

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

pub(crate) type AppState = Shared<Arc<State>>;

pub(crate) fn router(state: Arc<State>) -> Router {
    let limit = state.config.max_body_bytes;
    let app = Router::new()
        .route("/v2/health/live", get(|| async { Json(json!({ "live": true })) }))
        .route("/v2/health/ready", get(|| async { Json(json!({ "ready": true })) }))
        .route("/v2", get(server_metadata))
        .route("/v2/models/{name}", get(model_metadata))
        .route("/v2/models/{name}/versions/{version}", get(model_metadata_version))
        .route("/v2/models/{name}/ready", get(model_ready))
        .route("/v2/models/{name}/versions/{version}/ready", get(model_ready_version))
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v2/models/{name}/versions/{version}/infer", post(infer_version))
        .route("/v1/samples.png", get(samples::samples_png))
        .route("/model.onnx", get(model_bytes))
        .route("/metrics", get(metrics_text))
        .merge(web::routes())
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such route; see DESIGN.md §8".into()) })
        .method_not_allowed_fallback(|request: Request| async move {
            ApiError(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} is not allowed on {}", request.method(), request.uri().path()),
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), authorize))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), log));
    let app = match state.config.cors_origins.as_slice() {
        [] => app,
        origins => app.layer(cors(origins)),
    };
    app.with_state(state)
}

/// CORS for pages of `origins`: preflights answered, the binary extension's header
/// allowed in and exposed out. Without `--cors-origin` there is no CORS layer at all.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let length = axum::http::HeaderName::from_static(v2::HEADER_LENGTH);
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, length.clone()])
        .expose_headers([length])
        .max_age(std::time::Duration::from_secs(600))
}

/// 401 unless the request's group is open or it carries the API key (`auth.rs`).
async fn authorize(Shared(state): AppState, request: Request, next: Next) -> Response {
    let group = crate::auth::Group::of_path(request.uri().path());
    let given = request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if state.config.auth.allows(group, given) {
        return next.run(request).await;
    }
    state.unauthorized[0].fetch_add(1, Ordering::Relaxed);
    let why = if given.is_some() { "wrong API key" } else { "this server needs `Authorization: Bearer KEY`" };
    let mut response = ApiError(StatusCode::UNAUTHORIZED, why.into()).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// One debug line per request; counts for the summary at shutdown.
async fn log(Shared(state): AppState, request: Request, next: Next) -> Response {
    let (method, uri, started) = (request.method().clone(), request.uri().clone(), Instant::now());
    let response = next.run(request).await;
    let status = response.status();
    state.requests.fetch_add(1, Ordering::Relaxed);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        state.overloads.fetch_add(1, Ordering::Relaxed);
    } else if status.is_client_error() || status.is_server_error() {
        state.errors.fetch_add(1, Ordering::Relaxed);
    }
    tracing::debug!(%method, %uri, status = status.as_u16(), ms = started.elapsed().as_secs_f64() * 1e3, "request");
    response
}

async fn server_metadata() -> Json<serde_json::Value> {
    let (name, version, extensions) = crate::SERVER;
    Json(json!({ "name": name, "version": version, "extensions": extensions }))
}

fn check_model(state: &State, name: &str, version: Option<&str>) -> Result<()> {
    Ok(state.check_model(name, version)?)
}

async fn model_metadata(Shared(state): AppState, Path(name): Path<String>) -> Result<Json<serde_json::Value>> {
    metadata(&state, &name, None)
}

async fn model_metadata_version(
    Shared(state): AppState,
    Path((name, v)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>> {
    metadata(&state, &name, Some(&v))
}

fn metadata(state: &State, name: &str, version: Option<&str>) -> Result<Json<serde_json::Value>> {
    check_model(state, name, version)?;
    let (inputs, outputs) = state.tensor_specs();
    let described = |specs: Vec<crate::dispatch::TensorSpec>| -> Vec<serde_json::Value> {
        specs.into_iter().map(|t| json!({ "name": t.name, "datatype": t.datatype, "shape": t.shape })).collect()
    };
    Ok(Json(json!({
        "name": name,
        "versions": ["1"],
        "platform": "onnx",
        "inputs": described(inputs),
        "outputs": described(outputs),
    })))
}

async fn model_ready(Shared(state): AppState, Path(name): Path<String>) -> Result<Json<serde_json::Value>> {
    check_model(&state, &name, None).map(|()| Json(json!({ "name": name, "ready": true })))
}

async fn model_ready_version(
    Shared(state): AppState,
    Path((name, v)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>> {
    check_model(&state, &name, Some(&v)).map(|()| Json(json!({ "name": name, "ready": true })))
}

async fn infer(s: AppState, Path(name): Path<String>, headers: HeaderMap, body: Body) -> Result<Response> {
    counted(s, name, None, headers, body).await
}

async fn infer_version(
    s: AppState,
    Path((name, v)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    counted(s, name, Some(v), headers, body).await
}

/// An inference request, counted for `/metrics`.
async fn counted(
    s: AppState,
    name: String,
    version: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let (state, started) = (Arc::clone(&s.0), Instant::now());
    let answer = run_infer(s, name, version, headers, body).await;
    state.inference.record(started, failure_of(&answer));
    answer
}

/// How `/metrics` counts a request's answer: Triton's failure reasons.
pub(crate) fn failure_of(answer: &Result<Response>) -> Option<metrics::Failure> {
    answer.as_ref().err().map(|ApiError(status, _)| match *status {
        StatusCode::SERVICE_UNAVAILABLE => metrics::Failure::Rejected,
        s if s.is_server_error() => metrics::Failure::Backend,
        _ => metrics::Failure::Other,
    })
}

/// The longest a client may take to send a request body.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Read a request body: at most `max_body_bytes`, within [`BODY_TIMEOUT`], and no more
/// than [`super::BODIES`] at once (the others wait, their bodies unread), so that the
/// memory held by bodies and their parsing stays bounded whatever the load.
async fn read_body<'a>(
    state: &'a State,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, tokio::sync::SemaphorePermit<'a>)> {
    let limit = state.config.max_body_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_large = || {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over this server's limit of {limit} bytes (--max-body-bytes)"),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let permit =
        state.bodies.acquire().await.map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into()))?;
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
        )),
        Ok(Err(e)) if e.to_string().contains("length limit") => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::bad(format!("reading the body: {e}"))),
        Ok(Ok(bytes)) => Ok((bytes, permit)),
    }
}

async fn run_infer(
    Shared(state): AppState,
    name: String,
    version: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    check_model(&state, &name, version.as_deref())?;
    let (body, permit) = read_body(&state, &headers, body).await?;
    let json_length = match headers.get(v2::HEADER_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| ApiError::bad("Inference-Header-Content-Length is not a byte count"))?,
        ),
    };
    let request = v2::parse(&body, json_length, state.model_facts()).map_err(Refusal::from)?;
    drop((body, permit));
    let (rows, images) = state.infer(request.inputs).await?;
    let (bytes, binary_length) = v2::response(&name, request.id.as_deref(), rows, &images, request.binary_output);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    match binary_length {
        Some(n) => {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            headers.insert(v2::HEADER_LENGTH, HeaderValue::from(n));
        }
        None => {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
    }
    Ok(response)
}

async fn model_bytes(Shared(state): AppState) -> Response {
    ([(header::CONTENT_TYPE, "application/octet-stream")], state.model_bytes.clone()).into_response()
}

/// `GET /metrics`: Prometheus text format (see `metrics.rs`).
async fn metrics_text(Shared(state): AppState) -> Response {
    let unauthorized = state.unauthorized.each_ref().map(|c| c.load(Ordering::Relaxed));
    let text =
        metrics::render(&state.config.model_name, &state.inference, &state.png, &state.batcher.stats(), unauthorized);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
