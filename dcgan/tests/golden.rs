//! Golden vectors of the contract: `dcgan/contract.json` holds what the Rust functions
//! give for a few inputs, and the page's JavaScript (`serve/web/test/`) and the README's
//! Python (`tests/python/contract_check.py`) are held to the same file. This test writes
//! nothing unless `DCGAN_BLESS=1`; otherwise it fails when the file and the code differ.

use dcgan::SplitMix64;
use dcgan::contract::{self as c, CLASSES, Dtype, LATENT_DIM};
use dcgan::latent::{latents, slerp};
use serde_json::{Value, json};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contract.json");

/// Seeds whose latents are recorded: the README's, a typical one and the largest.
const SEEDS: [(u64, usize); 3] = [(0, 1), (42, 2), (u64::MAX, 1)];
/// Where slerp is recorded between two rows.
const TS: [f32; 3] = [0.0, 0.5, 1.0];

fn dtype(d: Dtype) -> Value {
    json!({ "onnx": d.onnx(), "oip": d.oip() })
}

/// The cases of slerp: two latent rows, and the degenerate ones (equal rows, a zero row,
/// opposite rows) where every implementation must fall back to the straight line.
fn slerp_cases() -> Vec<Value> {
    let rows: Vec<(&str, Vec<f32>, Vec<f32>)> = vec![
        ("latents(1,1) to latents(2,1)", latents(1, 1), latents(2, 1)),
        ("equal rows", vec![1.0, 2.0, 0.0, -1.0], vec![1.0, 2.0, 0.0, -1.0]),
        ("a zero row", vec![0.0; 4], vec![0.0, 1.0, 0.0, 0.0]),
        ("opposite rows", vec![1.0, 2.0, 0.0, 0.0], vec![-1.0, -2.0, 0.0, 0.0]),
    ];
    rows.into_iter()
        .map(|(what, a, b)| {
            let at: Vec<Value> = TS.iter().map(|&t| json!({ "t": t, "z": slerp(&a, &b, t, a.len()) })).collect();
            json!({ "what": what, "a": a, "b": b, "at": at })
        })
        .collect()
}

fn golden() -> Value {
    let latents: Vec<Value> = SEEDS
        .iter()
        .map(|&(seed, n)| {
            let mut rng = SplitMix64::new(seed);
            let first_u64 = format!("{:#018x}", rng.next_u64());
            json!({ "seed": seed.to_string(), "n": n, "first_u64": first_u64, "z": latents(seed, n) })
        })
        .collect();
    let per_row = 3;
    let count = c::digits_all_count(per_row, CLASSES).unwrap_or(0);
    let pixels: Vec<u8> = vec![0, 1, 127, 128, 254, 255];
    let units: Vec<f32> = vec![-2.0, -1.0, -0.5, -0.0039, 0.0, 0.0039, 0.5, 0.998, 1.0, 3.0];
    let grids: Vec<Value> = [(1, 1, 1), (25, 5, 1), (26, 6, 2), (30, 3, 4), (3, 9, 1)]
        .iter()
        .map(|&(n, cols, scale)| {
            let (cols_used, rows, width, height) = c::grid_layout(n, cols, scale);
            json!({ "n": n, "cols": cols, "scale": scale, "near_square_cols": c::near_square_cols(n),
                    "layout": { "cols": cols_used, "rows": rows, "width": width, "height": height } })
        })
        .collect();
    json!({
        "about": "Golden vectors of the DCGAN contract, written by `DCGAN_BLESS=1 cargo test -p dcgan --test golden` and asserted by the Rust, Node and Python tests.",
        "interface": {
            "input": c::INPUT, "label": c::LABEL, "output": c::OUTPUT,
            "latent_dim": LATENT_DIM, "image_shape": c::IMAGE_SHAPE, "classes": CLASSES,
            "input_dtype": dtype(c::INPUT_DTYPE), "label_dtype": dtype(c::LABEL_DTYPE), "output_dtype": dtype(c::OUTPUT_DTYPE),
            "latent_distribution": c::LATENT_DISTRIBUTION, "image_range": c::IMAGE_RANGE, "grid_pad": c::GRID_PAD,
        },
        "latents": latents,
        "slerp": slerp_cases(),
        "default_labels": { "first": 0, "n": 12, "labels": c::default_labels(0, 12, CLASSES) },
        "digits_all": { "per_row": per_row, "count": count, "cols": per_row,
                        "labels": (0..count).map(|i| c::digits_all_label(i, per_row)).collect::<Vec<_>>() },
        "pixel_to_unit": pixels.iter().map(|&p| json!([p, c::pixel_to_unit(p)])).collect::<Vec<_>>(),
        "unit_to_pixel": units.iter().map(|&v| json!([v, c::unit_to_pixel(v)])).collect::<Vec<_>>(),
        "grids": grids,
    })
}

#[test]
fn the_committed_golden_vectors_are_what_the_code_computes() {
    let text = serde_json::to_string_pretty(&golden()).expect("JSON of plain values") + "\n";
    if std::env::var_os("DCGAN_BLESS").is_some() {
        std::fs::write(FILE, &text).expect("writing contract.json");
        eprintln!("wrote {FILE}");
        return;
    }
    let committed = std::fs::read_to_string(FILE).expect("dcgan/contract.json (DCGAN_BLESS=1 writes it)");
    // Both sides as parsed text: an f32 is written as its shortest decimal, which parses
    // back to another f64 than the f32's exact value.
    let parse = |t: &str| -> Value { serde_json::from_str(t).expect("contract.json is JSON") };
    let (want, got) = (parse(&committed), parse(&text));
    for key in got.as_object().into_iter().flat_map(|o| o.keys()) {
        assert_eq!(want[key], got[key], "contract.json `{key}` differs from the code (DCGAN_BLESS=1 rewrites it)");
    }
    assert_eq!(want, got);
    println!("contract.json: {} bytes, equal to the code's values", committed.len());
}
