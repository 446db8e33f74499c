//! What a run tells its user while it trains: a line per epoch, what the first epoch's
//! pictures will show, and what is on disk if it stops.

use std::time::Instant;

use crate::losses::LossRow;

/// One line per epoch: the means of its `losses.csv` rows, the epoch's training
/// throughput (its steps only, as the closing line's first figure) and the time so far.
pub fn report_epoch(rows: &[LossRow], epoch: usize, epochs: usize, images_per_s: f64, started: Instant) {
    let epoch_rows: Vec<&LossRow> = rows.iter().filter(|r| r.epoch == epoch).collect();
    let mean = |f: fn(&LossRow) -> f64| epoch_rows.iter().map(|r| f(r)).sum::<f64>() / epoch_rows.len().max(1) as f64;
    eprintln!(
        "epoch {epoch}/{epochs}  loss_d {:.4}  loss_g {:.4}  D(x) {:.3}  D(G(z)) {:.3}  {images_per_s:.0} img/s  {:.1} s",
        mean(|r| r.loss_d),
        mean(|r| r.loss_g),
        mean(|r| r.d_real),
        mean(|r| r.d_fake),
        started.elapsed().as_secs_f64()
    );
}

/// Steps before the samples show digit shapes (BENCHMARKS.md, "When digits appear": the
/// tutorial's recipe draws one repeated blob after 600 steps and rough strokes at 1200,
/// the improved recipe clear digits at 1200); before, they are grey noise or blobs.
pub const DIGITS_APPEAR_AFTER_STEPS: usize = 1200;

/// What the first epoch's pictures show, for a run of `steps_per_epoch`.
pub fn early_samples_note(steps_per_epoch: usize) -> String {
    let epochs = DIGITS_APPEAR_AFTER_STEPS.div_ceil(steps_per_epoch.max(1));
    format!(
        "note: samples/epoch_NNN.png start as grey noise or blobs; digit shapes take about {DIGITS_APPEAR_AFTER_STEPS} \
         steps, here {} ({steps_per_epoch} steps an epoch)",
        plural(epochs, "epoch")
    )
}

/// What is on disk after epoch `epoch` completed (0: none yet).
pub fn last_checkpoint(epoch: usize) -> String {
    if epoch == 0 {
        "no epoch had completed, so there is no checkpoint yet".into()
    } else {
        format!("the checkpoint of epoch {epoch} is whole")
    }
}

/// `1 epoch`, `2 epochs`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}
