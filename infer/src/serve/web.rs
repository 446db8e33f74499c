//! The web page (DESIGN.md §9) from `Config::web_dir`: `/` is `index.html`; `page.js`
//! (the UI), `dcgan.js` (the module it runs the model with) and `style.css` sit beside
//! it, `/ort/FILE` is onnxruntime-web's `dist/` as npm
//! installed it (`scripts/setup-web.sh`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::State;
use super::routes::ApiError;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/", get(|s: Shared<Arc<State>>| file(s, "index.html".into())))
        .route("/page.js", get(|s: Shared<Arc<State>>| file(s, "page.js".into())))
        .route("/dcgan.js", get(|s: Shared<Arc<State>>| file(s, "dcgan.js".into())))
        .route("/style.css", get(|s: Shared<Arc<State>>| file(s, "style.css".into())))
        .route("/ort/{name}", get(ort))
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

async fn ort(state: Shared<Arc<State>>, Path(name): Path<String>) -> Response {
    // Only plain file names: nothing outside dist/ can be reached.
    if name.is_empty() || name.starts_with('.') || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return ApiError(StatusCode::NOT_FOUND, format!("no such file `{name}`")).into_response();
    }
    file(state, PathBuf::from("node_modules/onnxruntime-web/dist").join(name)).await
}

async fn file(Shared(state): Shared<Arc<State>>, relative: PathBuf) -> Response {
    let path = state.config.web_dir.join(&relative);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let name = relative.to_string_lossy();
            ([(header::CONTENT_TYPE, content_type(&name)), (header::CACHE_CONTROL, "no-cache")], bytes).into_response()
        }
        Err(_) if relative.starts_with("node_modules") => ApiError(
            StatusCode::NOT_FOUND,
            format!("{} is missing; run scripts/setup-web.sh (npm ci in infer/web)", path.display()),
        )
        .into_response(),
        Err(_) => {
            ApiError(StatusCode::NOT_FOUND, format!("{} is missing (see --web-dir)", path.display())).into_response()
        }
    }
}
