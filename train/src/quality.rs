//! Sample quality without the internet: a Fréchet distance in the feature space of a
//! small MNIST classifier (an "FID" for MNIST), class coverage and confidence, and for a
//! conditional generator the share of samples the classifier reads as the asked digit.
//!
//! The MNIST test set is split in two interleaved halves: even indices *choose* (the
//! best epoch of `train --keep-best`), odd indices *report* (the figures a model card
//! gives), so that a reported figure was not used to pick what it describes.

use serde::Serialize;
use tch::{Kind, Tensor};

use crate::classifier::Classifier;
use crate::data::Images;

/// The MNIST test set's features, whole and in its two halves.
pub struct Reference {
    /// All 10000 test images.
    pub all: Tensor,
    /// Even indices: used to choose (e.g. the best epoch).
    pub choose: Tensor,
    /// Odd indices: used to report.
    pub report: Tensor,
}

impl Reference {
    /// Embed `test` with `classifier` and split it.
    pub fn new(classifier: &Classifier, test: &Images) -> Self {
        let (all, _) = classifier.embed(&test.scaled());
        let n = all.size()[0];
        let even = Tensor::arange_start_step(0, n, 2, (Kind::Int64, all.device()));
        let odd = Tensor::arange_start_step(1, n, 2, (Kind::Int64, all.device()));
        Self { choose: all.index_select(0, &even), report: all.index_select(0, &odd), all }
    }
}

/// Quality numbers of one set of images.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    /// What was measured.
    pub name: String,
    /// Images measured.
    pub count: usize,
    /// Fréchet distance between their features and the whole MNIST test set's.
    pub frechet: f64,
    /// … and the choosing half's.
    pub frechet_choose: f64,
    /// … and the reporting half's.
    pub frechet_report: f64,
    /// Entropy of the predicted-class histogram / ln 10 (1 = all ten digits equally).
    pub coverage: f64,
    /// Mean probability of the top class (how digit-like each image is).
    pub confidence: f64,
    /// Predicted-class histogram, classes 0–9.
    pub histogram: [usize; 10],
    /// For a conditional generator: how often the classifier reads the asked digit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_accuracy: Option<LabelAccuracy>,
}

/// Agreement of the classifier with the labels a conditional generator was given (or,
/// from [`real_label_accuracy`], with real digits' true labels).
#[derive(Debug, Clone, Serialize)]
pub struct LabelAccuracy {
    /// Over all samples.
    pub overall: f64,
    /// Per asked digit 0–9.
    pub per_digit: [f64; 10],
}

/// Mean `[D]` and covariance `[D,D]` of features `[N,D]`, in f64.
fn moments(features: &Tensor) -> (Tensor, Tensor) {
    let f = features.to_kind(Kind::Double);
    let mean = f.mean_dim(0, false, Kind::Double);
    let centred = &f - &mean;
    let n = f.size()[0] as f64;
    let cov = centred.transpose(0, 1).mm(&centred) / (n - 1.0);
    (mean, cov)
}

/// √ of a symmetric positive semi-definite matrix through its eigendecomposition.
fn sqrtm_psd(a: &Tensor) -> Tensor {
    let (values, vectors) = a.linalg_eigh("L");
    let root = values.clamp_min(0.0).sqrt();
    (&vectors * root.unsqueeze(0)).mm(&vectors.transpose(0, 1))
}

/// Fréchet distance between Gaussians fitted to two feature sets:
/// |μ₁−μ₂|² + Tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½).
pub fn frechet(a: &Tensor, b: &Tensor) -> f64 {
    let ((m1, s1), (m2, s2)) = (moments(a), moments(b));
    let root1 = sqrtm_psd(&s1);
    let middle = root1.mm(&s2).mm(&root1);
    let middle = (&middle + middle.transpose(0, 1)) / 2.0; // symmetric up to rounding
    let cross = middle.linalg_eigh("L").0.clamp_min(0.0).sqrt().sum(Kind::Double);
    let diff = (&m1 - &m2).square().sum(Kind::Double);
    (diff + s1.trace() + s2.trace() - cross * 2.0).double_value(&[])
}

/// Measure `images` (n·784 values in `[-1,1]`, n ≥ 2) against `reference`; `labels` are
/// the digits a conditional generator was asked for, one per image.
pub fn quality(
    name: &str,
    classifier: &Classifier,
    images: &[f32],
    labels: Option<&[i64]>,
    reference: &Reference,
) -> Quality {
    let (features, probs) = classifier.embed(images);
    let count = features.size()[0] as usize;
    let top = Vec::<i64>::try_from(&probs.argmax(-1, false)).unwrap_or_default();
    let mut histogram = [0usize; 10];
    for &class in &top {
        histogram[class as usize] += 1;
    }
    let entropy: f64 = histogram
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / count as f64;
            -p * p.ln()
        })
        .sum();
    let (max, _) = probs.max_dim(-1, false);
    Quality {
        name: name.into(),
        count,
        frechet: frechet(&features, &reference.all),
        frechet_choose: frechet(&features, &reference.choose),
        frechet_report: frechet(&features, &reference.report),
        coverage: entropy / 10f64.ln(),
        confidence: max.mean(Kind::Float).double_value(&[]),
        histogram,
        label_accuracy: labels.map(|l| label_accuracy(&top, l)),
    }
}

/// How often `classifier` names the true digit of real `images`, overall and per digit:
/// the mark real digits reach on a conditional G's label-accuracy scale.
pub fn real_label_accuracy(classifier: &Classifier, images: &Images) -> LabelAccuracy {
    let (_, probs) = classifier.embed(&images.scaled());
    let top = Vec::<i64>::try_from(&probs.argmax(-1, false)).unwrap_or_default();
    let labels: Vec<i64> = images.labels.iter().map(|&l| i64::from(l)).collect();
    label_accuracy(&top, &labels)
}

/// Mean and sample standard deviation of one figure over several measurements (of
/// several latent seeds, say), so that a difference between two models can be weighed
/// against the spread of either.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for a single value.
    pub sd: f64,
}

impl Spread {
    /// The spread of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
        Some(Self { mean, sd: if n > 1.0 { (squares / (n - 1.0)).sqrt() } else { 0.0 } })
    }
}

/// Each figure's [`Spread`] over several rows (`eval --seeds`: one row per seed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spreads {
    /// Of [`Quality::frechet`].
    pub frechet: Spread,
    /// Of [`Quality::frechet_choose`].
    pub frechet_choose: Spread,
    /// Of [`Quality::frechet_report`].
    pub frechet_report: Spread,
    /// Of [`Quality::coverage`].
    pub coverage: Spread,
    /// Of [`Quality::confidence`].
    pub confidence: Spread,
}

impl Spreads {
    /// The spreads over `rows`; `None` when there are none.
    pub fn of(rows: &[Quality]) -> Option<Self> {
        let spread = |pick: fn(&Quality) -> f64| Spread::of(&rows.iter().map(pick).collect::<Vec<_>>());
        Some(Self {
            frechet: spread(|q| q.frechet)?,
            frechet_choose: spread(|q| q.frechet_choose)?,
            frechet_report: spread(|q| q.frechet_report)?,
            coverage: spread(|q| q.coverage)?,
            confidence: spread(|q| q.confidence)?,
        })
    }
}

fn label_accuracy(predicted: &[i64], asked: &[i64]) -> LabelAccuracy {
    let (mut hits, mut totals) = ([0usize; 10], [0usize; 10]);
    for (&p, &a) in predicted.iter().zip(asked) {
        let a = a.clamp(0, 9) as usize;
        totals[a] += 1;
        hits[a] += usize::from(p as usize == a);
    }
    let per_digit = std::array::from_fn(|d| hits[d] as f64 / totals[d].max(1) as f64);
    LabelAccuracy { overall: hits.iter().sum::<usize>() as f64 / asked.len().max(1) as f64, per_digit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frechet_of_a_set_with_itself_is_zero_and_grows_with_a_shift() {
        tch::manual_seed(0);
        let a = Tensor::randn([2000, 8], (Kind::Float, tch::Device::Cpu));
        assert!(frechet(&a, &a).abs() < 1e-6);
        // A mean shift of 1 in every one of 8 dimensions adds 8.
        let shifted = frechet(&a, &(&a + 1.0));
        assert!((shifted - 8.0).abs() < 1e-6, "{shifted}");
    }

    #[test]
    fn spread_is_the_mean_and_the_sample_standard_deviation() {
        // Reference: 2, 4, 4, 4, 5, 5, 7, 9 has mean 5 and sample variance 32/7.
        let s = Spread::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        let sd = (32.0f64 / 7.0).sqrt();
        println!("{s:?} (expected mean 5, sd {sd})");
        assert!((s.mean - 5.0).abs() < 1e-12 && (s.sd - sd).abs() < 1e-12);
        assert_eq!(Spread::of(&[1.5]), Some(Spread { mean: 1.5, sd: 0.0 }));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn label_accuracy_counts_per_asked_digit() {
        let acc = label_accuracy(&[0, 1, 1, 3], &[0, 1, 2, 2]);
        assert_eq!(acc.overall, 0.5);
        assert_eq!((acc.per_digit[0], acc.per_digit[1], acc.per_digit[2]), (1.0, 1.0, 0.0));
    }
}
