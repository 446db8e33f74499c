//! The range checks clap applies to the binaries' numeric flags (`value_parser = …`):
//! each takes the flag's text and returns the value or a message naming the range.

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim().parse::<T>().map_err(|e| format!("`{s}` is not a number ({e})"))
}

/// A finite float > 0.
pub fn positive(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v.is_finite() && v > 0.0 { Ok(v) } else { Err(format!("{v} is not > 0")) }
}

/// A finite float ≥ 0.
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v.is_finite() && v >= 0.0 { Ok(v) } else { Err(format!("{v} is not ≥ 0")) }
}

/// A float in [0, 1) (Adam's betas, an EMA decay, label smoothing).
pub fn unit_open(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if (0.0..1.0).contains(&v) { Ok(v) } else { Err(format!("{v} is not in [0, 1)")) }
}

/// A float in (0, 1] (a per-epoch learning-rate factor).
pub fn unit_closed(s: &str) -> Result<f64, String> {
    let v: f64 = number(s)?;
    if v > 0.0 && v <= 1.0 { Ok(v) } else { Err(format!("{v} is not in (0, 1]")) }
}

/// An integer ≥ 1 that fits the usual sizes.
pub fn at_least_one(s: &str) -> Result<usize, String> {
    let v: i128 = number(s)?;
    if (1..=1 << 40).contains(&v) { Ok(v as usize) } else { Err(format!("{v} is not between 1 and 2^40")) }
}

/// An integer ≥ 0.
pub fn count(s: &str) -> Result<usize, String> {
    let v: i128 = number(s)?;
    if (0..=1 << 40).contains(&v) { Ok(v as usize) } else { Err(format!("{v} is not between 0 and 2^40")) }
}

/// A seed: any integer in 0..2^64 (a negative one is refused, not wrapped).
pub fn seed(s: &str) -> Result<u64, String> {
    let v: i128 = number(s)?;
    u64::try_from(v).map_err(|_| format!("{v} is not between 0 and 2^64 − 1"))
}

/// An integer in `lo..=hi`, as a closure for `value_parser`.
pub fn between(lo: usize, hi: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s| {
        let v: i128 = number(s)?;
        if (lo as i128..=hi as i128).contains(&v) {
            Ok(v as usize)
        } else {
            Err(format!("{v} is not between {lo} and {hi}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_refuse_what_they_should() {
        assert!(
            positive("-1").is_err() && positive("0").is_err() && positive("nan").is_err() && positive("inf").is_err()
        );
        assert_eq!(positive("2e-4"), Ok(2e-4));
        assert!(unit_open("1").is_err() && unit_open("-0.1").is_err());
        assert_eq!(unit_open("0"), Ok(0.0));
        assert!(at_least_one("0").is_err() && at_least_one("-1").is_err() && at_least_one("x").is_err());
        assert!(seed("-1").is_err());
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        assert!(between(1, 64)("65").is_err());
        assert_eq!(between(1, 64)("64"), Ok(64));
        assert!(unit_closed("0").is_err() && unit_closed("1").is_ok());
    }
}
