//! Reproducible latents (DESIGN.md §3).
//!
//! SplitMix64 with state = seed; each draw adds the golden-gamma increment and applies
//! the usual xor-shift-multiply finaliser. A uniform in [0,1) is the top 24 bits of a
//! draw times 2⁻²⁴ (exact in f32), and z = 2a − 1. Latents are filled row by row,
//! sample 0's 100 values first. In Python:
//!
//! ```python
//! def latents(seed, n, dim=100):
//!     s, out, M = seed, [], (1 << 64) - 1
//!     for _ in range(n * dim):
//!         s = (s + 0x9E3779B97F4A7C15) & M
//!         u = s
//!         u = ((u ^ (u >> 30)) * 0xBF58476D1CE4E5B9) & M
//!         u = ((u ^ (u >> 27)) * 0x94D049BB133111EB) & M
//!         u ^= u >> 31
//!         out.append(2.0 * ((u >> 40) / 2**24) - 1.0)
//!     return out
//! ```
//!
//! The trainer uses the same generator for shuffling and training latents, so its whole
//! random state is one `u64` that a checkpoint can save.

/// The SplitMix64 generator.
///
/// ```
/// let mut rng = dcgan::latent::SplitMix64::new(0);
/// let z = rng.latents(1, 100); // what `infer --seed 0 -n 1` feeds G
/// assert!((z[0] - 0.766_621_6).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix64 {
    /// The whole state; save and restore it to continue the stream exactly.
    pub state: u64,
}

impl SplitMix64 {
    /// A generator whose state is `seed`.
    ///
    /// ```
    /// let mut a = dcgan::latent::SplitMix64::new(7);
    /// let saved = a; // the whole state is one u64
    /// assert_eq!(a.next_u64(), { let mut b = saved; b.next_u64() });
    /// ```
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64-bit output.
    ///
    /// ```
    /// assert_eq!(dcgan::latent::SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut u = self.state;
        u = (u ^ (u >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        u = (u ^ (u >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        u ^ (u >> 31)
    }

    /// Uniform in [0, 1) from the top 24 bits (exactly representable in f32).
    ///
    /// ```
    /// let u = dcgan::latent::SplitMix64::new(0).next_unit();
    /// assert_eq!(u, 0xE2_20A8 as f32 / (1 << 24) as f32); // the top 24 bits of 0xE220A8397B1DCDAF
    /// ```
    pub fn next_unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in [-1, 1).
    ///
    /// ```
    /// let z0 = dcgan::latent::SplitMix64::new(0).next_signed();
    /// assert!((-1.0..1.0).contains(&z0) && (z0 - 0.766_621_6).abs() < 1e-6);
    /// ```
    pub fn next_signed(&mut self) -> f32 {
        2.0 * self.next_unit() - 1.0
    }

    /// `n` latent rows of width `dim`, row-major.
    ///
    /// ```
    /// let mut rng = dcgan::latent::SplitMix64::new(3);
    /// let two = rng.latents(2, 100); // rows 0 and 1 …
    /// assert_eq!(&two[100..], &dcgan::latent::latents(3, 2)[100..]);
    /// assert_eq!(rng.latents(1, 100), dcgan::latent::latents(3, 3)[200..]); // … then row 2
    /// ```
    pub fn latents(&mut self, n: usize, dim: usize) -> Vec<f32> {
        (0..n * dim).map(|_| self.next_signed()).collect()
    }

    /// Uniform integer in `0..bound` (Lemire's multiply-shift; the bias is below 2⁻³² for
    /// the dataset sizes here and the result is what matters for reproducibility).
    ///
    /// ```
    /// let mut rng = dcgan::latent::SplitMix64::new(1);
    /// assert!((0..1000).all(|_| rng.below(10) < 10));
    /// ```
    pub fn below(&mut self, bound: usize) -> usize {
        (((self.next_u64() >> 32) * bound as u64) >> 32) as usize
    }

    /// Fisher–Yates shuffle.
    ///
    /// ```
    /// let mut order: Vec<usize> = (0..10).collect();
    /// dcgan::latent::SplitMix64::new(1).shuffle(&mut order);
    /// let mut sorted = order.clone();
    /// sorted.sort();
    /// assert_eq!(sorted, (0..10).collect::<Vec<_>>()); // a permutation
    /// ```
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// `n` latent rows for `seed`: what `infer --seed seed -n n` feeds the generator.
///
/// ```
/// let z = dcgan::latent::latents(0, 2); // z [2,100]
/// assert_eq!(z.len(), 200);
/// assert!(z.iter().all(|v| (-1.0..1.0).contains(v)));
/// ```
pub fn latents(seed: u64, n: usize) -> Vec<f32> {
    SplitMix64::new(seed).latents(n, crate::contract::LATENT_DIM)
}

/// Spherical interpolation between latent rows `a` and `b` at `t` ∈ `[0, 1]`, row by row
/// (`dim` values per row); linear where the arc is undefined: a row of norm 0, or two
/// rows (anti)parallel, sin ω < 1e-6 (the page does exactly the same). Uniform(-1,1)
/// latents concentrate on a shell of radius ≈ √(dim/3); a straight line between two of
/// them dips inside it, where G saw no training input, while the arc stays on it.
///
/// ```
/// use dcgan::latent::{latents, slerp};
/// let (a, b) = (latents(1, 1), latents(2, 1));
/// assert_eq!(slerp(&a, &b, 0.0, 100), a);
/// let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
/// let mid = slerp(&a, &b, 0.5, 100); // on the arc, not inside the shell
/// assert!(norm(&mid) > norm(&a).min(norm(&b)) * 0.95);
/// ```
pub fn slerp(a: &[f32], b: &[f32], t: f32, dim: usize) -> Vec<f32> {
    a.chunks(dim)
        .zip(b.chunks(dim))
        .flat_map(|(x, y)| {
            let dot: f64 = x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum();
            let norm = |v: &[f32]| v.iter().map(|p| f64::from(*p).powi(2)).sum::<f64>().sqrt();
            let norms = norm(x) * norm(y);
            let omega = if norms > 0.0 { (dot / norms).clamp(-1.0, 1.0).acos() } else { 0.0 };
            let t = f64::from(t);
            let (wa, wb) = if omega.sin().abs() < 1e-6 {
                (1.0 - t, t)
            } else {
                (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin())
            };
            x.iter().zip(y).map(move |(p, q)| (wa * f64::from(*p) + wb * f64::from(*q)) as f32).collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's test vector: the first values for seed 0.
    #[test]
    fn seed_zero_matches_the_documented_vector() {
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        let z = latents(0, 1);
        let want = [0.766_621_6_f32, -0.13694406, -0.94713247, 0.941_763_9];
        for (got, want) in z.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "got {got}, want {want}");
        }
        assert!(z.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn rows_are_filled_sample_by_sample() {
        let both = latents(7, 2);
        let mut g = SplitMix64::new(7);
        let first = g.latents(1, 100);
        assert_eq!(&both[..100], &first[..]);
    }

    #[test]
    fn slerp_ends_at_its_endpoints_and_keeps_the_norm_of_equal_norm_rows() {
        let (a, b) = (latents(1, 2), latents(2, 2));
        let close = |u: &[f32], v: &[f32]| u.iter().zip(v).all(|(p, q)| (p - q).abs() < 1e-5);
        assert!(close(&slerp(&a, &b, 0.0, 100), &a) && close(&slerp(&a, &b, 1.0, 100), &b));
        let x: Vec<f32> = (0..100).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect();
        let y: Vec<f32> = (0..100).map(|i| if i == 1 { 1.0 } else { 0.0 }).collect();
        let mid = slerp(&x, &y, 0.5, 100);
        let norm: f32 = mid.iter().map(|v| v * v).sum::<f32>().sqrt();
        println!("slerp midpoint of two unit rows: norm {norm} (1 within 1e-5; lerp would give 0.707)");
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<usize> = (0..1000).collect();
        SplitMix64::new(1).shuffle(&mut v);
        assert_ne!(v, (0..1000).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
    }
}
