//! A walk through the latent space as an animated GIF: 16 digits morphing from the
//! latents of one seed into those of another (on the great circle between them, which
//! keeps the latents' norm, as `infer --interpolate A,B` does).
//!
//! `cargo run --release -p dcgan-infer --example walk -- 3 8` writes `walk.gif`.

use dcgan_infer::{Generator, Images, SplitMix64, slerp};

const FRAMES: usize = 24;
const DIGITS: usize = 16;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut seeds = std::env::args().skip(1).map(|s| s.parse::<u64>());
    let (a, b) = (seeds.next().transpose()?.unwrap_or(3), seeds.next().transpose()?.unwrap_or(8));
    let g = Generator::builder().build()?;
    let dim = g.info().latent_dim;
    let (za, zb) = (SplitMix64::new(a).latents(DIGITS, dim), SplitMix64::new(b).latents(DIGITS, dim));
    let mut frames = Vec::with_capacity(FRAMES);
    for k in 0..FRAMES {
        let z = slerp(&za, &zb, k as f32 / (FRAMES - 1) as f32, dim); // z [16,100]
        let images: Images = g.generate_from_z(&z)?; // [16,1,28,28]
        frames.push(images.grid(4, 2)?);
    }
    std::fs::write("walk.gif", media::gif::encode(frames, 1000 / 12)?)?;
    println!("wrote walk.gif: {FRAMES} frames from seed {a} to seed {b}");
    Ok(())
}
