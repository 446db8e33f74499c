//! 16 digits from the shipped generator into a PNG: no model file at run time.
//!
//! `cargo run --release -p dcgan-infer --example embed -- 7` writes `embedded.png` with
//! the 16 digits of seed 7 (the same as `infer --seed 7 -n 16 --cols 4 --scale 2`).

use dcgan_infer::{Generator, Seed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let g = Generator::builder().build()?;
    let images = g.generate(Seed(seed), 16)?;
    images.grid(4, 2)?.save("embedded.png")?;
    println!("wrote embedded.png: 16 digits from seed {seed}, model by {}", g.info().producer);
    Ok(())
}
