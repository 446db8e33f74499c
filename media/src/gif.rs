//! Animated GIFs of gray frames (training progress, latent walks), written with the
//! `gif` crate that the `image` crate encodes with: one global palette of the 256 gray
//! levels and each frame's pixels as indices into it, so frames are exact (no colour
//! quantisation) and every decoder, however it treats local palettes, shows them.

use image::GrayImage;

/// A looping GIF of `frames` (all the size of the first), each shown `frame_ms` ms.
pub fn encode(frames: impl IntoIterator<Item = GrayImage>, frame_ms: u32) -> Result<Vec<u8>, String> {
    let mut frames = frames.into_iter().peekable();
    let Some(first) = frames.peek() else { return Err("no frames to encode".into()) };
    let (w, h) = first.dimensions();
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(format!("{w}×{h} is larger than a GIF frame can be (65535×65535)"));
    };
    let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, w16, h16, &palette).map_err(|e| e.to_string())?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| e.to_string())?;
        for gray in frames {
            if gray.dimensions() != (w, h) {
                return Err(format!("a frame of {:?} among frames of {w}×{h}", gray.dimensions()));
            }
            let mut frame = gif::Frame::from_indexed_pixels(w16, h16, gray.into_raw(), None);
            frame.delay = u16::try_from(frame_ms / 10).unwrap_or(u16::MAX); // in 1/100 s
            encoder.write_frame(&frame).map_err(|e| e.to_string())?;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_the_round_trip_exactly() {
        let frames =
            (0..3u8).map(|i| GrayImage::from_fn(4, 3, move |x, y| image::Luma([i * 60 + x as u8 * 10 + y as u8])));
        let bytes = encode(frames, 100).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        let decoded: Vec<_> = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[2].buffer().get_pixel(3, 2)[0], 152);
        assert_eq!(decoded[2].delay().numer_denom_ms(), (100, 1));
    }
}
