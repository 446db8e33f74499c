//! TensorBoard event files, so that `tensorboard --logdir runs/` shows every run.
//!
//! A minimal writer of TensorFlow's event format: TFRecord framing (length, masked
//! CRC-32C of the length, the bytes, masked CRC-32C of the bytes) around `Event`
//! protocol buffers (tensorflow/core/util/event.proto, summary.proto), encoded with
//! prost. Only what a run logs: scalars and PNG images.
//!
//! Each epoch gets a file of its own, `events.out.tfevents.NNNNNN.dcgan` (epoch NNNNNN),
//! written at the epoch's end like the run's other files (temporary name, then rename):
//! a run killed at any instant leaves whole files only, and a resume that redoes an
//! epoch rewrites that epoch's file instead of appending duplicates. TensorBoard reads
//! a folder's event files in name order, so the epochs come in order.

use std::path::{Path, PathBuf};

use prost::Message;

use crate::losses::LossRow;

/// `Event` (event.proto): one record of an event file.
#[derive(Clone, PartialEq, Message)]
struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    wall_time: f64,
    #[prost(int64, tag = "2")]
    step: i64,
    /// The first record of a file says which format follows.
    #[prost(string, optional, tag = "3")]
    file_version: Option<String>,
    #[prost(message, optional, tag = "5")]
    summary: Option<Summary>,
}

/// `Summary` (summary.proto): tagged values of one step.
#[derive(Clone, PartialEq, Message)]
struct Summary {
    #[prost(message, repeated, tag = "1")]
    value: Vec<Value>,
}

/// `Summary.Value`: a scalar (`simple_value`) or an image.
#[derive(Clone, PartialEq, Message)]
struct Value {
    #[prost(string, tag = "1")]
    tag: String,
    #[prost(float, optional, tag = "2")]
    simple_value: Option<f32>,
    #[prost(message, optional, tag = "4")]
    image: Option<Image>,
}

/// `Summary.Image`: an encoded (PNG) picture.
#[derive(Clone, PartialEq, Message)]
struct Image {
    #[prost(int32, tag = "1")]
    height: i32,
    #[prost(int32, tag = "2")]
    width: i32,
    /// 1: grayscale.
    #[prost(int32, tag = "3")]
    colorspace: i32,
    #[prost(bytes = "vec", tag = "4")]
    encoded_image_string: Vec<u8>,
}

/// The scalar tags, in the order of `losses.csv`'s columns.
pub const SCALARS: [&str; 10] = [
    "loss/D",
    "loss/G",
    "D(x)",
    "D(G(z))",
    "images_per_s",
    "frechet/choose",
    "frechet/report",
    "coverage",
    "confidence",
    "label_accuracy",
];

/// The image tag of the epoch's sample grid.
pub const SAMPLES: &str = "samples";

/// Epoch `epoch`'s event file in run folder `dir`.
pub fn path(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("events.out.tfevents.{epoch:06}.dcgan"))
}

/// Write epoch `epoch`'s file: a scalar event per row of the epoch (at the row's global
/// step) and, when given, the sample grid PNG at `samples` as an image at the epoch's
/// last step.
pub fn write_epoch(dir: &Path, epoch: usize, rows: &[LossRow], samples: Option<&Path>) -> std::io::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let mut events = vec![Event { wall_time: now, step: 0, file_version: Some("brain.Event:2".into()), summary: None }];
    let rows: Vec<&LossRow> = rows.iter().filter(|r| r.epoch == epoch).collect();
    for row in &rows {
        let values = scalars(row).map(|(tag, v)| Value { tag: tag.into(), simple_value: Some(v as f32), image: None });
        events.push(Event { wall_time: now, step: row.step, file_version: None, summary: Some(summary(values)) });
    }
    if let Some(png) = samples {
        let (width, height) = image::image_dimensions(png).map_err(std::io::Error::other)?;
        let image = Image {
            height: height as i32,
            width: width as i32,
            colorspace: 1,
            encoded_image_string: std::fs::read(png)?,
        };
        let value = Value { tag: SAMPLES.into(), simple_value: None, image: Some(image) };
        let step = rows.last().map_or(0, |r| r.step);
        events.push(Event { wall_time: now, step, file_version: None, summary: Some(summary([value])) });
    }
    let mut bytes = Vec::new();
    for event in events {
        record(&mut bytes, &event.encode_to_vec());
    }
    dcgan::output::write_atomic(&path(dir, epoch), &bytes)
}

fn summary(values: impl IntoIterator<Item = Value>) -> Summary {
    Summary { value: values.into_iter().collect() }
}

/// A row's values under [`SCALARS`]' tags; the quality figures only where measured.
fn scalars(row: &LossRow) -> impl Iterator<Item = (&'static str, f64)> {
    let always = [row.loss_d, row.loss_g, row.d_real, row.d_fake, row.images_per_s].map(Some);
    let measured = [row.frechet, row.frechet_report, row.coverage, row.confidence, row.label_accuracy];
    SCALARS.into_iter().zip(always.into_iter().chain(measured)).filter_map(|(tag, v)| Some((tag, v?)))
}

/// One TFRecord: length, its masked CRC, the data, its masked CRC.
fn record(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// TFRecord's masking of a CRC-32C, so that CRCs of CRCs do not look like data.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: event files are
/// small, and this is the only checksum the run needs.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard check value of CRC-32C (RFC 3720, appendix B.4).
    #[test]
    fn crc32c_of_the_check_string() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
    }
}
