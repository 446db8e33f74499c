//! A digit of your choice from the shipped conditional generator.
//!
//! `cargo run --release -p dcgan-infer --example digit -- 7` writes `digit-7.png`: eight
//! sevens from seed 0 (the same as `infer --digit 7 -n 8 --cols 8 --scale 2`).

use dcgan_infer::{Generator, Seed, Shipped};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let digit: i64 = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(7);
    let g = Generator::builder().shipped(Shipped::Conditional).build()?;
    // A digit outside 0–9 is refused before any run: an Error, not a wrong picture.
    let images = g.generate_digits(Seed(0), &[digit; 8])?;
    let path = format!("digit-{digit}.png");
    images.save_grid(&path, 8, 2)?;
    println!("wrote {path}: eight {digit}s");
    Ok(())
}
