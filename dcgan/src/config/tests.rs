//! The config digest: what it covers, and what keeps it unchanged; and the scheduled
//! knobs (`Scheduled`) that it leaves out until they start.

use super::*;

/// A tutorial run's config.json (the model shipped before recipes existed) keeps its digest and round-trips
/// through serde unchanged, byte for byte.
#[test]
fn a_tutorial_config_reads_and_writes_as_before() {
    let text = include_str!("../../testdata/tutorial-config.json");
    let config: TrainConfig = serde_json::from_str(text).unwrap();
    assert_eq!(config.hyper.recipe, Recipe::default());
    assert_eq!(serde_json::to_string_pretty(&config).unwrap(), text.trim_end());
    let before = config.digest();
    let mut changed = config.clone();
    changed.hyper.recipe.ema = Some(0.999);
    assert_ne!(changed.digest(), before);
    assert_eq!(changed.first_difference(&config).map(|d| d.0), Some("ema"));
}

/// Class terms still to come leave a checkpoint's digest as a run without them has it;
/// once started (or from the first epoch), they are part of it.
#[test]
fn class_terms_count_in_the_digest_once_they_act() {
    let plain: TrainConfig = serde_json::from_str(include_str!("../../testdata/tutorial-config.json")).unwrap();
    let mut later = plain.clone();
    (later.hyper.recipe.class_loss, later.hyper.recipe.class_loss_from) = (Some(1.0), Some(23));
    assert_eq!(later.as_of(22).digest(), plain.digest());
    assert_ne!(later.as_of(23).digest(), plain.digest());
    assert_ne!(later.digest(), plain.digest());
    // Terms from the first epoch (every run before --class-loss-from): checkpoints keep
    // the digest they were stamped with.
    later.hyper.recipe.class_loss_from = None;
    for done in [1, 22, 60] {
        assert_eq!(later.as_of(done).digest(), later.digest());
    }
    assert_ne!(later.digest(), plain.digest());
}

/// The same for a learning-rate decay: left out until its first epoch, counted from
/// then on, and from the first epoch (every run before --lr-decay-from) always.
#[test]
fn a_decay_counts_in_the_digest_once_it_starts() {
    let plain: TrainConfig = serde_json::from_str(include_str!("../../testdata/tutorial-config.json")).unwrap();
    let mut later = plain.clone();
    (later.hyper.recipe.lr_decay, later.hyper.recipe.lr_decay_from) = (Some(0.8), Some(23));
    assert_eq!(later.as_of(22).digest(), plain.digest());
    assert_ne!(later.as_of(23).digest(), plain.digest());
    later.hyper.recipe.lr_decay_from = None;
    for done in [1, 22] {
        assert_eq!(later.as_of(done).digest(), later.digest());
    }
    assert_eq!(later.hyper.recipe.lr_factor(3), 0.8 * 0.8);
    // From epoch 2: epochs 1 and 2 at the full rates, then the decay.
    later.hyper.recipe.lr_decay_from = Some(2);
    let factors: Vec<f64> = (1..=4).map(|e| later.hyper.recipe.lr_factor(e)).collect();
    assert_eq!(factors, [1.0, 1.0, 0.8, 0.8 * 0.8]);
}

/// `Scheduled::take` moves exactly the fields `Scheduled::fields` names, one at a time,
/// so that a resume changes only the flags it was given; `clear` turns a knob off whole.
#[test]
fn a_scheduled_knob_moves_exactly_its_own_fields() {
    let full = Recipe {
        class_loss: Some(0.5),
        class_loss_g: Some(0.25),
        class_loss_from: Some(3),
        lr_decay: Some(0.9),
        lr_decay_from: Some(4),
        ..Recipe::default()
    };
    let keys =
        |r: &Recipe| -> Vec<String> { serde_json::to_value(r).unwrap().as_object().unwrap().keys().cloned().collect() };
    for knob in Scheduled::ALL {
        for &field in knob.fields() {
            let mut moved = Recipe::default();
            knob.take(&mut moved, &full, |f| f == field);
            assert_eq!(keys(&moved), [field], "{knob:?} given {field}");
        }
        assert!(knob.from_field().ends_with("_from") && knob.fields().contains(&knob.from_field()));
        let mut cleared = full.clone();
        knob.clear(&mut cleared);
        assert!(keys(&cleared).iter().all(|k| !knob.fields().contains(&k.as_str())), "{knob:?}");
        assert_eq!(knob.start(&cleared), None);
    }
    assert_eq!(full.class_terms(2), (None, None));
    assert_eq!(full.class_terms(3), (Some(0.5), Some(0.25)));
    assert_eq!(full.lr_factor(4), 1.0);
    assert_eq!(full.lr_factor(5), 0.9);
    // A `…_from` without its switch schedules nothing.
    let from_only =
        Recipe { class_loss_g: Some(1.0), class_loss_from: Some(1), lr_decay_from: Some(1), ..Recipe::default() };
    assert_eq!((from_only.class_terms(2), from_only.lr_factor(3)), ((None, None), 1.0));
}
