//! `GET /v1/samples.png?seed=S&n=N&cols=C&scale=K&digit=D`: the query checked as `infer`
//! checks its flags, and the PNG `infer` writes for the same flags, byte for byte.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dcgan_infer::request::MAX_SCALE;
use dcgan_infer::{Digits, Error, Plan};
use media::grid;

use crate::routes::{ApiError, AppState, failure_of};

/// Largest grid `/v1/samples.png` draws (16 Mi pixels, 16 MiB): `infer` allows more, a
/// shared server keeps each request's memory small.
const MAX_SERVED_PIXELS: u64 = 1 << 24;
/// The names a grid query may use (`GET /v1/samples.png?…`).
pub const QUERY_KEYS: [&str; 6] = ["seed", "n", "cols", "scale", "digit", "digits"];

/// A grid asked for by name (`seed=S&n=N&cols=C&scale=K&digit=D` or `digits=…`), checked
/// as `infer` checks its flags: known names only, every number in its range, at most
/// `max_rows` images, digits only of a conditional model, the grid within bounds.
///
/// ```
/// use dcgan_serve::samples::GridQuery;
/// let query = |s: &str| s.split('&').map(|kv| kv.split_once('=').unwrap()).map(|(k, v)| (k.into(), v.into())).collect();
/// let asked = GridQuery::parse(&query("seed=7&n=30&digit=3"), 256, true)?;
/// assert_eq!((asked.seed, asked.plan.count, asked.plan.labels), (7, 30, Some(vec![3; 30])));
/// assert!(GridQuery::parse(&query("n=30&digit=3"), 256, false).is_err()); // unconditional model
/// assert!(GridQuery::parse(&query("n=300"), 256, false).is_err()); // over --max-rows
/// assert!(GridQuery::parse(&query("count=3"), 256, false).is_err()); // unknown name
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridQuery {
    /// The latents' seed (default 0).
    pub seed: u64,
    /// The grid (n default 25, scale default 1).
    pub plan: Plan,
}

impl GridQuery {
    /// Check `query` (name → value) for a model that is `conditional` or not.
    pub fn parse(query: &HashMap<String, String>, max_rows: usize, conditional: bool) -> Result<Self, Error> {
        let bad = |m: String| Error::BadInput(m);
        if let Some(k) = query.keys().find(|k| !QUERY_KEYS.contains(&k.as_str())) {
            return Err(bad(format!("unknown query parameter `{k}`; known: {}", QUERY_KEYS.join(", "))));
        }
        let num = |k: &str, lo: u64, hi: u64| -> Result<Option<u64>, Error> {
            query
                .get(k)
                .map(|v| match v.parse::<u64>() {
                    Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                    _ => Err(bad(format!("`{k}={v}` is not an integer in {lo}–{hi}"))),
                })
                .transpose()
        };
        let seed = num("seed", 0, u64::MAX)?.unwrap_or(0);
        let n = num("n", 1, max_rows as u64)?.unwrap_or(25) as usize;
        let cols = num("cols", 1, 1 << 16)?.map(|c| c as usize);
        let scale = num("scale", 1, u64::from(MAX_SCALE))?.unwrap_or(1) as u32;
        let digits = match (query.get("digit"), query.get("digits")) {
            (Some(_), Some(_)) => return Err(bad("give `digit` or `digits`, not both".into())),
            (Some(d), None) => Some(Digits::One(d.parse().map_err(|_| bad(format!("`digit={d}` is not an integer")))?)),
            (None, Some(d)) => Some(d.parse::<Digits>().map_err(bad)?),
            (None, None) => None,
        };
        if digits.is_some() && !conditional {
            return Err(bad(
                "this model is unconditional (no `label` input): `digit`/`digits` need a conditional model".into(),
            ));
        }
        let plan = Plan::new(n, digits.as_ref(), cols, scale)?;
        plan.check_grid()?;
        if plan.count > max_rows {
            return Err(bad(format!("{} images is over this server's --max-rows {max_rows}", plan.count)));
        }
        Ok(Self { seed, plan })
    }
}

/// `GET /v1/samples.png?seed=&n=&cols=&scale=&digit=&digits=`: the PNG `infer` writes
/// for the same flags, byte for byte; counted for `/metrics`.
pub(crate) async fn samples_png(
    s: AppState,
    query: std::result::Result<Query<HashMap<String, String>>, QueryRejection>,
) -> crate::routes::Result<Response> {
    let (state, started) = (Arc::clone(&s.0), Instant::now());
    let answer = draw_samples_png(s, query).await;
    state.png.record(started, failure_of(&answer));
    answer
}

async fn draw_samples_png(
    Shared(state): AppState,
    query: std::result::Result<Query<HashMap<String, String>>, QueryRejection>,
) -> crate::routes::Result<Response> {
    let Query(q) = query.map_err(|e| ApiError::bad(e.body_text()))?;
    let GridQuery { seed, plan } = GridQuery::parse(&q, state.config.max_rows, state.generator.conditional())?;
    let (w, h) = plan.grid_size();
    if w * h > MAX_SERVED_PIXELS {
        return Err(ApiError::bad(format!(
            "the grid would be {w}×{h} pixels; this server draws at most {MAX_SERVED_PIXELS} (lower n or scale)"
        )));
    }
    // A render holds the grid in memory: a few at a time, the rest get 503 at once.
    let _permit = state.renders.try_acquire().map_err(|_| {
        ApiError(StatusCode::SERVICE_UNAVAILABLE, "too many PNGs are being drawn; retry after a second".into())
    })?;
    let z = dcgan_infer::SplitMix64::new(seed).latents(plan.count, state.generator.info().latent_dim);
    let images = dcgan_infer::Images::new(state.generate(z, plan.labels.clone()).await?);
    let draw = move || images.grid(plan.cols, plan.scale).map_err(|e| e.to_string()).map(|g| grid::png_bytes(&g));
    let png = tokio::task::spawn_blocking(draw)
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.and_then(|png| png.map_err(|e| e.to_string())))
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("drawing the grid: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
