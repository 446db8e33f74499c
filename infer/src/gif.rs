//! Animated GIFs of gray frames (training progress, latent walks), with the `image`
//! crate's encoder: 256 gray levels fit a GIF palette exactly.

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, GrayImage, RgbaImage};

/// A looping GIF of `frames`, each shown `frame_ms` milliseconds.
pub fn encode(frames: impl IntoIterator<Item = GrayImage>, frame_ms: u32) -> Result<Vec<u8>, image::ImageError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, 10);
        encoder.set_repeat(Repeat::Infinite)?;
        for gray in frames {
            let rgba = RgbaImage::from_fn(gray.width(), gray.height(), |x, y| {
                let v = gray.get_pixel(x, y)[0];
                image::Rgba([v, v, v, 255])
            });
            encoder.encode_frame(Frame::from_parts(rgba, 0, 0, Delay::from_numer_denom_ms(frame_ms, 1)))?;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_the_round_trip() {
        let frames = (0..3u8).map(|i| GrayImage::from_fn(4, 3, move |x, _| image::Luma([i * 60 + x as u8 * 10])));
        let bytes = encode(frames, 100).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        let decoded: Vec<_> = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[2].buffer().get_pixel(3, 0)[0], 150);
    }
}
