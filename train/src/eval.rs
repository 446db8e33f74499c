//! Sample quality without the internet: a Fréchet distance in the feature space of a
//! small MNIST classifier (an "FID" for MNIST), class coverage and confidence.

use serde::Serialize;
use tch::{Kind, Tensor};

use crate::classifier::Classifier;

/// Quality numbers of one set of images.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    /// What was measured.
    pub name: String,
    /// Images measured.
    pub count: usize,
    /// Fréchet distance between their features and the MNIST test set's.
    pub frechet: f64,
    /// Entropy of the predicted-class histogram / ln 10 (1 = all ten digits equally).
    pub coverage: f64,
    /// Mean probability of the top class (how digit-like each image is).
    pub confidence: f64,
    /// Predicted-class histogram, classes 0–9.
    pub histogram: [usize; 10],
}

/// Mean [D] and covariance [D,D] of features [N,D], in f64.
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

/// Measure `images` (n·784 values in [-1,1]) against the reference features.
pub fn quality(name: &str, classifier: &Classifier, images: &[f32], reference: &Tensor) -> Quality {
    let (features, probs) = classifier.embed(images);
    let count = features.size()[0] as usize;
    let top = probs.argmax(-1, false);
    let mut histogram = [0usize; 10];
    for class in Vec::<i64>::try_from(&top).unwrap_or_default() {
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
        frechet: frechet(&features, reference),
        coverage: entropy / 10f64.ln(),
        confidence: max.mean(Kind::Float).double_value(&[]),
        histogram,
    }
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
}
