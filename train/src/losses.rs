//! `losses.csv`: one row per logging window (D and G losses, D's outputs, speed) and, on
//! an epoch's last row, the sample-quality figures `--eval-every` measured. Rewritten
//! whole after every epoch together with its plot ([`crate::plot`]).

use std::path::Path;

use dcgan::run;

use crate::{Error, io_err};

/// One row of `losses.csv`: means over a logging window.
#[derive(Debug, Clone, PartialEq)]
pub struct LossRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// Global step at the end of the window.
    pub step: i64,
    /// D's adversarial loss (without the L2, R1 and `--class-loss` terms).
    pub loss_d: f64,
    /// G's adversarial loss (without the `--class-loss-g` term).
    pub loss_g: f64,
    /// Mean D(x) on real images (sigmoid of the logit).
    pub d_real: f64,
    /// Mean D(G(z)) during D's step.
    pub d_fake: f64,
    /// Training seconds since the run began.
    pub seconds: f64,
    /// Images per second over the window.
    pub images_per_s: f64,
    /// Fréchet distance to the half of MNIST test that chooses the best epoch
    /// (`--eval-every`), on an epoch's last row.
    pub frechet: Option<f64>,
    /// Fréchet distance to the other half, which reports it.
    pub frechet_report: Option<f64>,
    /// Class coverage of the evaluated samples.
    pub coverage: Option<f64>,
    /// Their mean top-class confidence.
    pub confidence: Option<f64>,
    /// Label accuracy (conditional runs).
    pub label_accuracy: Option<f64>,
}

/// Header of `losses.csv`.
pub const LOSSES_HEADER: &str = "epoch,step,loss_d,loss_g,d_real,d_fake,seconds,images_per_s,frechet,frechet_report,coverage,confidence,label_accuracy";

fn optional(v: Option<f64>) -> String {
    v.map_or(String::new(), |f| format!("{f:.4}"))
}

impl LossRow {
    fn to_csv(&self) -> String {
        format!(
            "{},{},{:.6},{:.6},{:.6},{:.6},{:.3},{:.1},{},{},{},{},{}",
            self.epoch,
            self.step,
            self.loss_d,
            self.loss_g,
            self.d_real,
            self.d_fake,
            self.seconds,
            self.images_per_s,
            optional(self.frechet),
            optional(self.frechet_report),
            optional(self.coverage),
            optional(self.confidence),
            optional(self.label_accuracy)
        )
    }

    fn from_csv(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f.get(i)?.parse::<f64>().ok();
        Some(Self {
            epoch: f.first()?.parse().ok()?,
            step: f.get(1)?.parse().ok()?,
            loss_d: num(2)?,
            loss_g: num(3)?,
            d_real: num(4)?,
            d_fake: num(5)?,
            seconds: num(6)?,
            images_per_s: num(7)?,
            frechet: num(8),
            frechet_report: num(9),
            coverage: num(10),
            confidence: num(11),
            label_accuracy: num(12),
        })
    }
}

/// Rows of an existing `losses.csv` up to and including `epoch` (what a resume keeps).
pub fn read_losses(dir: &Path, epoch: usize) -> Vec<LossRow> {
    let text = std::fs::read_to_string(dir.join(run::LOSSES)).unwrap_or_default();
    text.lines().skip(1).filter_map(LossRow::from_csv).filter(|r| r.epoch <= epoch).collect()
}

/// Rewrite `losses.csv` and `losses.png` from `rows`; `title` names the run.
pub fn write_losses(dir: &Path, rows: &[LossRow], title: &str) -> Result<(), Error> {
    let mut text = String::from(LOSSES_HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(&r.to_csv());
        text.push('\n');
    }
    let path = dir.join(run::LOSSES);
    dcgan::output::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))?;
    let plot = dir.join(run::LOSS_PLOT);
    let png = crate::plot::plot_png(rows, title)
        .map_err(|e| Error::Io { path: plot.clone(), source: std::io::Error::other(e) })?;
    dcgan::output::write_atomic(&plot, &png).map_err(io_err(&plot))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A row of a 600-step epoch with losses `loss` (D) and twice that (G), and a
    /// Fréchet distance of 10 at every epoch end.
    pub(crate) fn row(epoch: usize, step: i64, loss: f64) -> LossRow {
        LossRow {
            epoch,
            step,
            loss_d: loss,
            loss_g: loss * 2.0,
            d_real: 0.5,
            d_fake: 0.5,
            seconds: 1.0,
            images_per_s: 1.0,
            frechet: (step % 600 == 0).then_some(10.0),
            frechet_report: None,
            coverage: None,
            confidence: None,
            label_accuracy: None,
        }
    }

    #[test]
    fn csv_rows_round_trip_and_old_files_still_read() {
        let r = LossRow { frechet_report: Some(3.25), ..row(2, 1200, 0.5) };
        assert_eq!(LossRow::from_csv(&r.to_csv()), Some(r));
        let old = "3,1800,0.5,1.0,0.6,0.4,10.000,300.0,14.1200";
        assert_eq!(LossRow::from_csv(old).and_then(|r| r.frechet), Some(14.12));
    }
}
