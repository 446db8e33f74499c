//! Property tests of every parser a user feeds (DESIGN.md §12's "no panic, hang or
//! unbounded allocation on anything a user can type or send"): IDX files raw and gzip'd,
//! `.npy` latents, safetensors run files, ONNX model bytes (the contract check and the
//! whole tract loader), OIP v2 infer bodies (JSON and binary) and the PNG grid query.
//!
//! Each parser gets arbitrary bytes and, more usefully, well-formed inputs with one part
//! bent (a huge dimension, a lying length, a flipped byte, a truncation). Each case must
//! return a value that keeps the parser's promise or a typed error — never panic or
//! abort. Allocation is bounded by [`cap::Cap`]: while a parser runs, the process may hold
//! only what the input justifies beyond what it held before (a multiple of the input's
//! size plus a margin, or for gzip the IDX bound itself); an allocation past that fails,
//! which aborts this test binary, so an unbounded allocation cannot pass.
//!
//! One `#[test]` runs the parsers one after another, since the allocation budget is
//! process-wide. Cases per parser are in [`CASES`]; the seed is proptest's fixed default,
//! so a failure reproduces.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use cap::Cap;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[path = "fuzz/inputs.rs"]
mod inputs;
use inputs::{bent, gzip, idx_file, npy_file, oip_body, onnx_bent, png_query, safetensors_file, shipped};

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// Cases per parser: (name, cases). The ONNX loader builds a tract plan per case.
const CASES: [(&str, u32); 9] = [
    ("IDX", 20000),
    ("IDX gzip", 2000),
    (".npy", 20000),
    ("safetensors", 20000),
    ("ONNX contract", 1000),
    ("ONNX tract", 1000),
    ("ONNX ort", 300),
    ("OIP v2 body", 10000),
    ("PNG query", 10000),
];
/// Bytes a parser may hold per input byte, beyond [`ALLOWANCE`].
const PER_BYTE: usize = 16;
/// Bytes any parser may hold whatever its input (1 MiB; tract's plan: 64 MiB).
const ALLOWANCE: usize = 1 << 20;
const TRACT_ALLOWANCE: usize = 1 << 26;

/// Run `f` with the process allowed `budget` bytes more than it holds now.
fn bounded<T>(budget: usize, f: impl FnOnce() -> T) -> T {
    ALLOCATOR.set_limit(ALLOCATOR.allocated().saturating_add(budget)).unwrap();
    let out = f();
    ALLOCATOR.set_limit(usize::MAX).unwrap();
    out
}

/// Outcomes of one parser's cases, printed at the end.
#[derive(Default)]
struct Tally {
    ok: u32,
    errors: HashMap<String, u32>,
}

impl Tally {
    fn add<T, E: std::fmt::Display>(&mut self, r: &Result<T, E>) {
        match r {
            Ok(_) => self.ok += 1,
            // The error's kind: its message with numbers and quoted names blanked, cut short.
            Err(e) => {
                *self.errors.entry(kind(&e.to_string())).or_default() += 1;
            }
        }
    }
}

fn kind(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                if quoted {
                    out.push_str("`…`");
                }
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            _ => out.push(c),
        }
    }
    out.chars().take(56).collect()
}

fn run<S: Strategy>(name: &str, strategy: S, case: impl FnMut(S::Value, &mut Tally) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = CASES.iter().find(|(n, _)| *n == name).unwrap().1;
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
    // TestRunner::run takes an Fn: the case and its tally live in cells.
    let (case, tally) = (RefCell::new(case), RefCell::new(Tally::default()));
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&strategy, |v| (case.borrow_mut())(v, &mut tally.borrow_mut()));
    let tally = tally.into_inner();
    let mut kinds: Vec<_> = tally.errors.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    println!(
        "{name}: {} cases in {:.1} s: {} accepted, {} refused ({})",
        tally.ok + tally.errors.values().sum::<u32>(),
        started.elapsed().as_secs_f64(),
        tally.ok,
        tally.errors.values().sum::<u32>(),
        kinds.iter().take(6).map(|(k, n)| format!("{n}× \"{k}\"")).collect::<Vec<_>>().join(", ")
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn every_parser_returns_a_value_or_a_typed_error_within_its_memory() {
    let here = Path::new("fuzz-input");
    run("IDX", idx_file(), |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || train::data::parse_idx(&bytes, 3, here));
        if let Ok((dims, payload)) = &r {
            prop_assert_eq!(dims.iter().product::<usize>(), payload.len());
        }
        tally.add(&r);
        Ok(())
    });
    run("IDX gzip", idx_file().prop_map(|b| gzip(&b)), |bytes, tally| {
        let budget = 2 * train::data::MAX_IDX_BYTES + PER_BYTE * bytes.len() + ALLOWANCE;
        let r = bounded(budget, || {
            let raw = train::data::decode_maybe_gz(bytes, here)?;
            train::data::parse_idx(&raw, 3, here).map(|(dims, _)| dims)
        });
        tally.add(&r);
        Ok(())
    });
    // A gzip bomb: 8 MiB past the bound decompresses no further than the bound.
    let bomb = gzip(&vec![0u8; train::data::MAX_IDX_BYTES + (8 << 20)]);
    let r = bounded(3 * train::data::MAX_IDX_BYTES, || train::data::decode_maybe_gz(bomb.clone(), here));
    println!(
        "gzip bomb of {} bytes: {}",
        bomb.len(),
        r.as_ref().map(|_| "accepted".into()).unwrap_or_else(|e| e.to_string())
    );
    assert!(r.is_err_and(|e| e.to_string().contains("larger than")));

    run(".npy", npy_file(), |bytes, tally| {
        let len = bytes.len() as u64;
        let r =
            bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan_infer::npy::parse_latents(&bytes[..], len, 100, here));
        if let Ok(z) = &r {
            prop_assert!(z.len().is_multiple_of(100) && !z.is_empty());
        }
        tally.add(&r);
        Ok(())
    });
    run("safetensors", safetensors_file(), |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan::tensors::from_bytes(&bytes, here));
        if let Ok((map, _)) = &r {
            for t in map.values() {
                prop_assert_eq!(t.shape.iter().product::<usize>(), t.data.len());
            }
        }
        tally.add(&r);
        Ok(())
    });

    let gen_onnx = shipped("gen.onnx");
    let onnx =
        prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), bent(gen_onnx.clone(), 4096), onnx_bent(&gen_onnx)];
    run("ONNX contract", onnx, |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan_infer::model_check::check(&bytes));
        tally.add(&r);
        Ok(())
    });
    run("ONNX tract", onnx_bent(&gen_onnx), |bytes, tally| {
        // Loaded, it also runs two rows: a bent attribute may only show at run time.
        let r = bounded(PER_BYTE * bytes.len() + TRACT_ALLOWANCE, || {
            dcgan_infer::Generator::builder()
                .bytes(&bytes)
                .backend(dcgan_infer::Backend::Tract)
                .build()
                .and_then(|g| g.generate(dcgan_infer::Seed(0), 2))
        });
        if let Err(e) = &r {
            prop_assert!(e.is_bad_input(), "a stranger's file is the caller's input (exit 2), got: {e}");
        }
        tally.add(&r);
        Ok(())
    });

    // ONNX Runtime gets the same bent files (its own allocations are C++'s, outside the
    // budget; what is checked is that it never sees a file the checks should refuse and
    // that what it refuses is the caller's).
    run("ONNX ort", onnx_bent(&shipped("gen.onnx")), |bytes, tally| {
        let r = dcgan_infer::Generator::builder()
            .bytes(&bytes)
            .backend(dcgan_infer::Backend::Ort)
            .build()
            .and_then(|g| g.generate(dcgan_infer::Seed(0), 2));
        if let Err(e) = &r {
            prop_assert!(e.is_bad_input(), "a stranger's file is the caller's input (exit 2), got: {e}");
        }
        tally.add(&r);
        Ok(())
    });

    for classes in [None, Some(10)] {
        let model = dcgan_serve::v2::Model { latent: 100, classes, max_rows: 4096 };
        run("OIP v2 body", oip_body(), |(body, length), tally| {
            let r = bounded(PER_BYTE * body.len() + ALLOWANCE, || dcgan_serve::v2::parse(&body, length, model));
            tally.add(&r.as_ref().map_err(|e| format!("{} {}", e.0, e.1)));
            Ok(())
        });
    }
    for conditional in [false, true] {
        run("PNG query", png_query(), |q, tally| {
            let size: usize = q.iter().map(|(k, v)| k.len() + v.len()).sum();
            let r =
                bounded(PER_BYTE * size + ALLOWANCE, || dcgan_serve::samples::GridQuery::parse(&q, 4096, conditional));
            if let Ok(g) = &r {
                prop_assert!(g.plan.count <= 4096);
            }
            tally.add(&r);
            Ok(())
        });
    }
}
