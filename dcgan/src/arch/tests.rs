//! The table against the design: shapes, parameters, digests.

use super::*;

#[test]
fn generator_shapes_follow_the_design() {
    let want: Vec<(&str, Vec<usize>)> =
        vec![("fc", vec![256, 4, 4]), ("ct1", vec![128, 7, 7]), ("ct2", vec![64, 14, 14]), ("ct3", vec![1, 28, 28])];
    assert_eq!(GENERATOR.shapes(), want);
}

#[test]
fn discriminator_shapes_follow_the_design() {
    let want: Vec<(&str, Vec<usize>)> =
        vec![("c1", vec![64, 14, 14]), ("c2", vec![128, 7, 7]), ("c3", vec![256, 4, 4]), ("fc", vec![1])];
    assert_eq!(DISCRIMINATOR.shapes(), want);
}

#[test]
fn parameter_names_are_stable() {
    let names: Vec<String> = GENERATOR.params().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "fc.weight",
            "fc.bias",
            "ct1.weight",
            "ct1.bias",
            "bn1.weight",
            "bn1.bias",
            "bn1.running_mean",
            "bn1.running_var",
            "ct2.weight",
            "ct2.bias",
            "bn2.weight",
            "bn2.bias",
            "bn2.running_mean",
            "bn2.running_var",
            "ct3.weight",
            "ct3.bias",
        ]
    );
    let total: usize = GENERATOR.params().iter().map(|p| p.shape.iter().product::<usize>()).sum();
    assert_eq!(total, 100 * 4096 + 4096 + 256 * 128 * 16 + 128 * 5 + 128 * 64 * 16 + 64 * 5 + 64 * 16 + 1);
}

#[test]
fn digests_differ_between_networks() {
    assert_ne!(GENERATOR.digest(), DISCRIMINATOR.digest());
    assert_eq!(GENERATOR.digest().len(), 16);
    let all: Vec<String> = GENERATORS.iter().chain(DISCRIMINATORS.iter()).map(|a| a.digest()).collect();
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{all:?}");
}

/// The shipped models' config.json and ONNX metadata record these; a change would
/// orphan every run and file.
#[test]
fn digests_are_the_ones_runs_recorded() {
    assert_eq!(GENERATOR.digest(), "d2fd40781e94f681");
    assert_eq!(DISCRIMINATOR.digest(), "92b334f3b84402e7");
    assert_eq!(CONDITIONAL_GENERATOR.digest(), "91419977f2d07ab7");
    assert_eq!(PROJECTION_DISCRIMINATOR.digest(), "f2816d5f3594c42c");
    assert_eq!(EMBED_DISCRIMINATOR.digest(), "ea523b80a87b0f19");
}

/// Weight decay left the table for the training settings; the digests above pin
/// that the text still marks exactly the layers it marked: D's c2 and c3, no G layer.
#[test]
fn the_decay_flag_of_the_digest_marks_ds_c2_and_c3_only() {
    let marked = |a: &Arch| -> Vec<&str> {
        a.layers.iter().filter(|l| l.digest_text().ends_with("decay: true }")).map(|l| l.name).collect()
    };
    for a in GENERATORS {
        assert!(marked(a).is_empty(), "{}: {:?}", a.name, marked(a));
    }
    for a in DISCRIMINATORS {
        assert_eq!(marked(a), ["c2", "c3"], "{}", a.name);
    }
}

#[test]
fn conditional_tables_add_one_label_table_and_keep_the_layers() {
    assert!(std::ptr::eq(CONDITIONAL_GENERATOR.layers, GENERATOR.layers));
    assert_eq!(CONDITIONAL_GENERATOR.label_table(), Some((10, 4096)));
    assert_eq!(PROJECTION_DISCRIMINATOR.label_table(), Some((10, 4096)));
    assert_eq!(EMBED_DISCRIMINATOR.label_table(), Some((10, 64 * 14 * 14)));
    let extra = CONDITIONAL_GENERATOR.params().len() - GENERATOR.params().len();
    assert_eq!(extra, 1);
    assert_eq!(CONDITIONAL_GENERATOR.params().last().map(|p| p.name.as_str()), Some(LABEL_TABLE));
    assert_eq!(generator_by_digest(&CONDITIONAL_GENERATOR.digest()), Some(&CONDITIONAL_GENERATOR));
    assert_eq!(GENERATOR.classes(), None);
}
