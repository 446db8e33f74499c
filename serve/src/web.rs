//! The web page (DESIGN.md §9): `/` is `index.html`; `page.js` (the UI), `page-state.js`
//! (what its URL asks for), `dcgan.js` (the module it runs the model with, and the
//! `onnx-metadata.js` it reads the model's metadata with) and `style.css` sit beside
//! it, and `/ort/FILE` is onnxruntime-web's runtime. All of it is compiled into the binary (the runtime when
//! `scripts/setup-web.sh` had installed it at build time, see `build.rs`), so an
//! installed `serve` needs no checkout; `--web-dir DIR` serves the files from a folder
//! instead (for editing the page).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::State;
use crate::routes::ApiError;

include!(concat!(env!("OUT_DIR"), "/ort_web.rs"));

/// The page's own files, compiled in.
const PAGE: [(&str, &[u8]); 6] = [
    ("index.html", include_bytes!("../web/index.html")),
    ("page.js", include_bytes!("../web/page.js")),
    ("page-state.js", include_bytes!("../web/page-state.js")),
    ("dcgan.js", include_bytes!("../web/dcgan.js")),
    ("onnx-metadata.js", include_bytes!("../web/onnx-metadata.js")),
    ("style.css", include_bytes!("../web/style.css")),
];

/// Where onnxruntime-web's files are under `--web-dir`.
const ORT_DIR: &str = "node_modules/onnxruntime-web/dist";

pub(crate) fn routes() -> Router<Arc<State>> {
    let page = PAGE.iter().filter(|(name, _)| *name != "index.html");
    page.fold(Router::new().route("/", get(index)), |router, &(name, _)| {
        router.route(&format!("/{name}"), get(move |s: Shared<Arc<State>>| page_file(s, name)))
    })
    .route("/ort/{name}", get(ort))
}

/// Why the page cannot run here, if it cannot: onnxruntime-web is neither compiled in
/// nor under `--web-dir`. `serve` says it at start and `/` says it instead of the page.
pub fn runtime_missing(web_dir: Option<&std::path::Path>) -> Option<String> {
    match web_dir {
        Some(dir) if dir.join(ORT_DIR).is_dir() => None,
        Some(dir) => Some(format!(
            "{} is missing: run `npm ci` in {} (scripts/setup-web.sh does it)",
            dir.join(ORT_DIR).display(),
            dir.display()
        )),
        None if !ORT_WEB.is_empty() => None,
        None => Some(
            "this serve was built without onnxruntime-web, so the page cannot run: run scripts/setup-web.sh \
             (npm ci in serve/web) and build serve again, or pass --web-dir with a folder holding the page \
             and node_modules/onnxruntime-web"
                .into(),
        ),
    }
}

async fn index(state: Shared<Arc<State>>) -> Response {
    match runtime_missing(state.config.web_dir.as_deref()) {
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!("<!doctype html><title>dcgan: the page cannot run</title><p>{}</p>", escape(&why))),
        )
            .into_response(),
        None => page_file(state, "index.html").await,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map_or("", |(_, e)| e) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        _ => "application/octet-stream",
    }
}

/// A page file. Cross-origin isolation (COOP and COEP) lets onnxruntime-web run more
/// than one WASM thread.
fn found(name: &str, bytes: impl Into<axum::body::Body>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type(name)),
        (header::CACHE_CONTROL, "no-cache"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (header::HeaderName::from_static("cross-origin-embedder-policy"), "require-corp"),
    ];
    (headers, bytes.into()).into_response()
}

async fn page_file(Shared(state): Shared<Arc<State>>, name: &'static str) -> Response {
    match &state.config.web_dir {
        Some(dir) => from_disk(dir.join(name), name, "see --web-dir").await,
        None => match PAGE.iter().find(|(n, _)| *n == name) {
            Some((_, bytes)) => found(name, *bytes),
            None => ApiError(StatusCode::NOT_FOUND, format!("no such file `{name}`")).into_response(),
        },
    }
}

async fn ort(Shared(state): Shared<Arc<State>>, Path(name): Path<String>) -> Response {
    // Only plain file names: nothing outside dist/ can be reached.
    if name.is_empty() || name.starts_with('.') || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return ApiError(StatusCode::NOT_FOUND, format!("no such file `{name}`")).into_response();
    }
    match &state.config.web_dir {
        Some(dir) => {
            from_disk(dir.join(ORT_DIR).join(&name), &name, "run scripts/setup-web.sh (npm ci in serve/web)").await
        }
        None => match ORT_WEB.iter().find(|(n, _)| *n == name) {
            Some((_, bytes)) => found(&name, *bytes),
            None => {
                let why = runtime_missing(None).unwrap_or_else(|| format!("onnxruntime-web has no `{name}` here"));
                ApiError(StatusCode::NOT_FOUND, why).into_response()
            }
        },
    }
}

async fn from_disk(path: PathBuf, name: &str, hint: &str) -> Response {
    match tokio::fs::read(&path).await {
        Ok(bytes) => found(name, bytes),
        Err(_) => ApiError(StatusCode::NOT_FOUND, format!("{} is missing ({hint})", path.display())).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page folder without onnxruntime-web: `/` and the start-up warning say what to run.
    #[test]
    fn a_missing_runtime_says_what_to_install() {
        let dir = std::env::temp_dir().join(format!("dcgan-web-{}", std::process::id()));
        let why = runtime_missing(Some(&dir)).unwrap_or_default();
        assert!(why.contains("npm ci") && why.contains("setup-web.sh"), "{why}");
        if ORT_WEB.is_empty() {
            let why = runtime_missing(None).unwrap_or_default();
            assert!(why.contains("scripts/setup-web.sh"), "{why}");
        } else {
            assert_eq!(runtime_missing(None), None, "compiled in");
        }
    }
}
