//! The knobs a training recipe may turn beyond the tutorial's (issue "Quality"), as
//! `config.json` records them: each absent or at its default in the tutorial's recipe.

use serde::{Deserialize, Serialize};

/// The knobs a better recipe may turn; `Recipe::default()` is the tutorial.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// D's learning rate instead of `lr` (two time-scale updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_d: Option<f64>,
    /// G's learning rate instead of `lr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_g: Option<f64>,
    /// The adversarial loss.
    #[serde(default, skip_serializing_if = "Loss::is_tutorial")]
    pub loss: Loss,
    /// Decay of an exponential moving average of G's weights (with a warm-up); the
    /// average, with BatchNorm statistics of its own, is what is sampled and exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema: Option<f64>,
    /// γ of the R1 penalty γ/2·E‖∇ₓD(x)‖² on real images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r1: Option<f64>,
    /// One-sided label smoothing: D's target for real images is 1 − s (BCE loss only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_smoothing: Option<f64>,
    /// Both learning rates are multiplied by this after every epoch (from
    /// `lr_decay_from` on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_decay: Option<f64>,
    /// The epoch (counted from 1) the decay starts from: it trains at the full rates, and
    /// each later epoch at `lr_decay` times the one before; absent: the first. A run may
    /// gain the decay on `--resume` while it is still to come (see [`Scheduled`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_decay_from: Option<usize>,
    /// Augmentations of every image D sees, real and generated, in both steps (in the
    /// order of [`Augment`], each at most once; empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub augment: Vec<Augment>,
    /// Weight of an auxiliary classification loss through a projection D's label table
    /// (conditional runs with the projection head only): D learns to name the digit of
    /// real images from its class scores `⟨table[c], h⟩`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_loss: Option<f64>,
    /// Weight of the same cross-entropy in G's loss, for the digits it was asked for
    /// (with `class_loss` only: the scores must be trained to mean something).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_loss_g: Option<f64>,
    /// The epoch (counted from 1) from which both class terms apply; absent: the first.
    /// Epochs before it train exactly as without the terms, so a run may gain them on
    /// `--resume` while they are still to come (see `TrainConfig::as_of`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_loss_from: Option<usize>,
}

impl Recipe {
    /// The weights of D's and G's class terms in `epoch` (counted from 1): none before
    /// `class_loss_from`, and none while `class_loss` is off (`class_loss_g` needs it).
    pub fn class_terms(&self, epoch: usize) -> (Option<f64>, Option<f64>) {
        match Scheduled::ClassTerms.start(self) {
            Some(from) if epoch >= from => (self.class_loss, self.class_loss_g),
            _ => (None, None),
        }
    }

    /// What the learning rates are multiplied by in `epoch` (counted from 1):
    /// `lr_decay^(epoch − lr_decay_from)` from `lr_decay_from` on, 1 before.
    pub fn lr_factor(&self, epoch: usize) -> f64 {
        match (self.lr_decay, Scheduled::LrDecay.start(self)) {
            (Some(decay), Some(from)) => decay.powi(epoch.saturating_sub(from) as i32),
            _ => 1.0,
        }
    }

    /// `augment` as the command line and the config digest write it: `none` or
    /// `translation,cutout`, in the order of [`Augment`] whatever the order of the list
    /// (a set: a hand-edited config.json keeps its digest).
    pub fn augment_name(&self) -> String {
        if self.augment.is_empty() {
            return "none".into();
        }
        Augment::set(self.augment.clone()).iter().map(|a| a.name()).collect::<Vec<_>>().join(",")
    }
}

/// The knobs that start at an epoch of their own (`--class-loss-from`,
/// `--lr-decay-from`). The epochs before it train exactly as without the knob, so a
/// resume may still add or change it, and a checkpoint's digest leaves it out until it
/// has started (`TrainConfig::as_of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// `class_loss` and `class_loss_g`, from `class_loss_from`.
    ClassTerms,
    /// `lr_decay`, from `lr_decay_from`.
    LrDecay,
}

impl Scheduled {
    /// Every scheduled knob.
    pub const ALL: [Scheduled; 2] = [Scheduled::ClassTerms, Scheduled::LrDecay];

    /// Its fields in config.json (locked once it has started): the one that turns it on
    /// first, the one that names its first epoch last.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Scheduled::ClassTerms => &["class_loss", "class_loss_g", "class_loss_from"],
            Scheduled::LrDecay => &["lr_decay", "lr_decay_from"],
        }
    }

    /// The field that names its first epoch.
    pub fn from_field(self) -> &'static str {
        self.fields()[self.fields().len() - 1]
    }

    /// The field that turns it on.
    pub fn on_field(self) -> &'static str {
        self.fields()[0]
    }

    /// What it is, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Scheduled::ClassTerms => "the class terms",
            Scheduled::LrDecay => "the learning-rate decay",
        }
    }

    /// The epoch it starts from in `recipe` (its `…_from` field, the first epoch where
    /// that is absent); `None` when it is off. A checkpoint counts it from this epoch on,
    /// so a resume may add it only where it is later.
    pub fn start(self, recipe: &Recipe) -> Option<usize> {
        let (on, from) = self.parts(recipe);
        on.then(|| from.unwrap_or(1))
    }

    /// The first epoch it trains differently; `None` when it is off. A decay's starting
    /// epoch trains at the full rates, so it changes the epoch after.
    pub fn first_changed(self, recipe: &Recipe) -> Option<usize> {
        let start = self.start(recipe)?;
        Some(if self == Scheduled::LrDecay { start + 1 } else { start })
    }

    /// The epoch its `…_from` field names in `recipe`, on or off.
    pub fn from_value(self, recipe: &Recipe) -> Option<usize> {
        self.parts(recipe).1
    }

    fn parts(self, r: &Recipe) -> (bool, Option<usize>) {
        match self {
            Scheduled::ClassTerms => (r.class_loss.is_some(), r.class_loss_from),
            Scheduled::LrDecay => (r.lr_decay.is_some(), r.lr_decay_from),
        }
    }

    /// Turn it off in `recipe`.
    pub fn clear(self, recipe: &mut Recipe) {
        self.take(recipe, &Recipe::default(), |_| true);
    }

    /// Set each of its fields for which `given(field)` holds to `other`'s value.
    pub fn take(self, recipe: &mut Recipe, other: &Recipe, given: impl Fn(&str) -> bool) {
        fn pick<T: Copy>(given: bool, to: &mut Option<T>, from: Option<T>) {
            if given {
                *to = from;
            }
        }
        match self {
            Scheduled::ClassTerms => {
                pick(given("class_loss"), &mut recipe.class_loss, other.class_loss);
                pick(given("class_loss_g"), &mut recipe.class_loss_g, other.class_loss_g);
                pick(given("class_loss_from"), &mut recipe.class_loss_from, other.class_loss_from);
            }
            Scheduled::LrDecay => {
                pick(given("lr_decay"), &mut recipe.lr_decay, other.lr_decay);
                pick(given("lr_decay_from"), &mut recipe.lr_decay_from, other.lr_decay_from);
            }
        }
    }
}

/// A differentiable augmentation of D's input in the manner of DiffAugment (Zhao et al.,
/// 2020): drawn per image from the run's RNG and applied to real and generated images
/// alike, in D's step and in G's, so that D cannot tell them apart by it and G's
/// gradient passes through it. Both fill with the background (−1), not with mid-grey:
/// an MNIST digit is strokes on black.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Augment {
    // The variants' comments are `train --help`'s text for each value: plain words.
    /// Shift each image by up to 4 pixels each way, rows and columns independently.
    Translation,
    /// Blank a 14×14 square centred anywhere on the image, clipped at the edges.
    Cutout,
}

/// Largest shift of [`Augment::Translation`], either way: DiffAugment's ⅛ of the side,
/// rounded (28/8 = 3.5 → 4).
pub const MAX_SHIFT: usize = 4;
/// Side of [`Augment::Cutout`]'s square: DiffAugment's half the side.
pub const CUTOUT_SIDE: usize = 14;

impl Augment {
    /// `list` as a set, in the order the step applies it: sorted, each at most once.
    pub fn set(mut list: Vec<Augment>) -> Vec<Augment> {
        list.sort();
        list.dedup();
        list
    }

    /// The name used on the command line and in config.json.
    pub fn name(self) -> &'static str {
        match self {
            Augment::Translation => "translation",
            Augment::Cutout => "cutout",
        }
    }
}

/// The adversarial loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// BCE with logits; G's loss is the non-saturating −log D(G(z)) (the tutorial's).
    #[default]
    Bce,
    /// Hinge: D minimises relu(1 − D(x)) + relu(1 + D(G(z))), G minimises −D(G(z)).
    Hinge,
}

impl Loss {
    fn is_tutorial(&self) -> bool {
        *self == Loss::Bce
    }

    /// The name used on the command line and in config.json.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Bce => "bce",
            Loss::Hinge => "hinge",
        }
    }
}

/// How a conditional D takes the label (G always adds a per-class vector at `fc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum DHead {
    /// Projection discriminator: ⟨embedding(label), features⟩ added to the logit.
    Projection,
    /// A per-class map added to c1's output (what one-hot input channels compute).
    Embed,
}

impl DHead {
    /// The discriminator table of this head.
    pub fn arch(self) -> &'static crate::Arch {
        match self {
            DHead::Projection => &crate::arch::PROJECTION_DISCRIMINATOR,
            DHead::Embed => &crate::arch::EMBED_DISCRIMINATOR,
        }
    }

    /// The name used on the command line and in config.json.
    pub fn name(self) -> &'static str {
        match self {
            DHead::Projection => "projection",
            DHead::Embed => "embed",
        }
    }
}
