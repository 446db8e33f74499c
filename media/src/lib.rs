//! The pictures both binaries draw: digit grids as PNG files ([`grid`]) and animated GIFs
//! ([`gif`]). `train` writes its epoch samples and progress GIF with them, `infer` and
//! `serve` their grids and latent walks, so a grid from either has the same pixels.

pub mod gif;
pub mod grid;
