//! Embeds the shipped generator in the binary: no model file needed at run time.
//!
//! `cargo run --release -p dcgan-infer --example embed -- 7` writes `embedded.png` with
//! 16 digits from seed 7.

const MODEL: &[u8] = include_bytes!("../../models/gen.onnx");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let g = infer::Generator::from_bytes(MODEL, infer::Backend::Tract, infer::Device::Cpu)?;
    let images = g.generate(seed, 16)?;
    images.grid(4, 2)?.save("embedded.png")?;
    println!("wrote embedded.png: 16 digits from seed {seed}, model by {}", g.info().producer);
    Ok(())
}
