//! `infer --interpolate A,B --frames K --gif FILE`: a walk through the latent space.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use dcgan::contract::IMAGE_LEN;
use dcgan_infer::{Generator, ModelSource, Plan};

use crate::run::report;
use crate::{Interrupted, bad};

/// `--interpolate A,B --frames K --gif FILE`: K grids on the arc from seed A's latents to
/// seed B's, as a looping GIF. All frames together stay under the grid's pixel limit.
#[allow(clippy::too_many_arguments)] // one call site, each argument a different thing
pub(crate) fn walk(
    g: &Generator,
    source: &ModelSource,
    plan: &Plan,
    (a, b): (u64, u64),
    frames: usize,
    gif: &Path,
    stop: &AtomicUsize,
    started: Instant,
) -> Result<()> {
    let (w, h) = plan.grid_size();
    if (w * h).saturating_mul(frames as u64) > dcgan_infer::request::MAX_GRID_PIXELS {
        return Err(bad(format!(
            "{frames} frames of {w}×{h} pixels are over the limit of {} pixels; use fewer frames, images or a smaller scale",
            dcgan_infer::request::MAX_GRID_PIXELS
        )));
    }
    let dim = g.info().latent_dim;
    let (za, zb) = (
        dcgan_infer::SplitMix64::new(a).latents(plan.count, dim),
        dcgan_infer::SplitMix64::new(b).latents(plan.count, dim),
    );
    let mut images = Vec::with_capacity(frames);
    for k in 0..frames {
        if let signal @ 1.. = stop.load(Ordering::SeqCst) {
            eprintln!("infer: interrupted after {k} of {frames} frames; no GIF was written");
            return Err(Interrupted(signal).into());
        }
        let t = k as f32 / (frames - 1) as f32;
        let z = dcgan::latent::slerp(&za, &zb, t, dim);
        let mut data = Vec::with_capacity(plan.count * IMAGE_LEN);
        g.for_each_batch_from_z(&z, plan.labels.as_deref(), |_, batch| {
            data.extend_from_slice(batch);
            Ok(())
        })?;
        images.push(dcgan_infer::Images::new(data).grid(plan.cols, plan.scale)?);
    }
    let bytes = media::gif::encode(images, 1000 / 12).map_err(|e| anyhow::anyhow!("encoding the GIF: {e}"))?;
    dcgan::output::write_atomic(gif, &bytes).with_context(|| format!("writing {}", gif.display()))?;
    report(
        g,
        source,
        &format!("{} ({frames} frames)", gif.display()),
        plan.count,
        &format!("seeds {a} → {b}"),
        started,
    );
    Ok(())
}
