//! MNIST loading and downloading: the real files, every error case on crafted files, and
//! the downloader against a loopback HTTP server.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use train::data::{self, DataError, Dataset, Split};
use train::download::{self, DownloadError};

fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(payload);
    v
}

/// A folder with a valid 3-image training split (raw files).
fn tiny(dir: &Path) {
    std::fs::write(dir.join("train-images-idx3-ubyte"), idx(0x803, &[3, 28, 28], &[7; 3 * 784])).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), idx(0x801, &[3], &[1, 2, 3])).unwrap();
}

#[test]
fn the_real_files_parse() {
    if !cli::ci::require("MNIST (MNIST_DIR)", cli::ci::mnist().is_some()) {
        return;
    }
    let dir = cli::ci::mnist().unwrap();
    let train = data::load(&dir, Dataset::Mnist, Split::Train).unwrap();
    let test = data::load(&dir, Dataset::Mnist, Split::Test).unwrap();
    assert_eq!((train.count, test.count), (60000, 10000));
    assert_eq!(&train.labels[..5], &[5, 0, 4, 1, 9]);
    assert_eq!((train.rows, train.cols), (28, 28));
    let scaled = train.scaled();
    assert!(scaled.iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn raw_and_gzip_files_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let raw = data::load(dir.path(), Dataset::Mnist, Split::Train).unwrap();
    let gz_dir = tempfile::tempdir().unwrap();
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&bytes).unwrap();
        std::fs::write(gz_dir.path().join(format!("{name}.gz")), enc.finish().unwrap()).unwrap();
    }
    let gz = data::load(gz_dir.path(), Dataset::Mnist, Split::Train).unwrap();
    assert_eq!(raw.pixels, gz.pixels);
    assert_eq!(gz.labels, [1, 2, 3]);
}

fn load_err(dir: &Path) -> DataError {
    data::load(dir, Dataset::Mnist, Split::Train).unwrap_err()
}

#[test]
fn a_missing_file_says_how_to_get_the_data() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::remove_file(dir.path().join("train-labels-idx1-ubyte")).unwrap();
    let msg = load_err(dir.path()).to_string();
    assert!(msg.contains("train-labels-idx1-ubyte") && msg.contains("--download"), "{msg}");
}

#[test]
fn a_truncated_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), idx(0x803, &[3, 28, 28], &[7; 100])).unwrap();
    let msg = load_err(dir.path()).to_string();
    assert!(msg.contains("need 2352 bytes") && msg.contains("found 100"), "{msg}");
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), [0u8, 0, 8]).unwrap();
    assert!(load_err(dir.path()).to_string().contains("truncated"));
}

#[test]
fn a_truncated_gzip_says_to_download_it_again() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let images = dir.path().join("train-images-idx3-ubyte");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &std::fs::read(&images).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::remove_file(&images).unwrap();
    // A download cut off half-way.
    std::fs::write(dir.path().join("train-images-idx3-ubyte.gz"), &gz[..gz.len() / 2]).unwrap();
    let msg = load_err(dir.path()).to_string();
    println!("{msg}");
    assert!(msg.contains("truncated") && msg.contains("download it again (--download)"), "{msg}");
}

#[test]
fn a_wrong_magic_number_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    // A label file where the images should be.
    std::fs::copy(dir.path().join("train-labels-idx1-ubyte"), dir.path().join("train-images-idx3-ubyte")).unwrap();
    let msg = load_err(dir.path()).to_string();
    assert!(msg.contains("magic number"), "{msg}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), idx(0x801, &[2], &[1, 2])).unwrap();
    assert!(matches!(load_err(dir.path()), DataError::CountMismatch { images: 3, labels: 2, .. }));
}

#[test]
fn a_corrupt_gzip_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    std::fs::remove_file(dir.path().join("train-images-idx3-ubyte")).unwrap();
    // A gzip header and nothing after it: a cut download.
    std::fs::write(dir.path().join("train-images-idx3-ubyte.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let e = load_err(dir.path());
    assert!(matches!(&e, DataError::Invalid { reason, .. } if reason.contains("truncated")), "{e}");
}

/// Serve `files` (name → bytes) over HTTP/1.1 on loopback; returns the base URL.
fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            match files.iter().find(|(name, _)| *name == path) {
                Some((_, body)) => {
                    let head =
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body));
                }
                None => {
                    let _ =
                        stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
            }
        }
    });
    base
}

#[test]
fn a_mirror_that_answers_too_much_is_refused_with_bounded_memory() {
    // One byte over the bound, for every file: refused before anything is kept.
    let big = vec![0u8; download::MAX_DOWNLOAD_BYTES as usize + 1];
    let files = data::FILES.iter().map(|f| (format!("{f}.gz"), big.clone())).collect();
    let base = serve(files);
    let dest = tempfile::tempdir().unwrap();
    let err = download::fetch_missing(dest.path(), &base).unwrap_err();
    println!("{err}");
    assert!(matches!(err, DownloadError::Http { .. }) && err.to_string().contains("larger than"), "{err}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0, "nothing kept");
    // A small gzip that inflates past the largest IDX file is refused too.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(data::MAX_IDX_BYTES >> 20) + 1 {
        std::io::Write::write_all(&mut bomb, &zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    println!("gzip bomb: {} bytes inflating to over {} bytes", bomb.len(), data::MAX_IDX_BYTES);
    let base = serve(data::FILES.iter().map(|f| (format!("{f}.gz"), bomb.clone())).collect());
    let err = download::fetch_missing(dest.path(), &base).unwrap_err();
    println!("{err}");
    assert!(err.to_string().contains("inflates beyond"), "{err}");
}

#[test]
fn download_verifies_checksums_and_keeps_only_good_files() {
    if !cli::ci::require("MNIST (MNIST_DIR)", cli::ci::mnist().is_some()) {
        return;
    }
    let shared = cli::ci::mnist().unwrap();
    // The mirror has one good file (the real test labels) and one corrupted (one byte
    // of the real test images flipped); the training files are already present.
    let dest = tempfile::tempdir().unwrap();
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
        std::fs::copy(shared.join(name), dest.path().join(name)).unwrap();
    }
    let good = std::fs::read(shared.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let raw = data::read_maybe_gz(&shared.join("t10k-images-idx3-ubyte.gz")).unwrap();
    let mut corrupt = raw.clone();
    corrupt[5000] ^= 0xff;
    let base = serve(vec![("t10k-labels-idx1-ubyte.gz".into(), good), ("t10k-images-idx3-ubyte.gz".into(), corrupt)]);
    let err = download::fetch_missing(dest.path(), &base).unwrap_err();
    assert!(matches!(err, DownloadError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains(download::SHA256[2]));
    let left: Vec<String> =
        std::fs::read_dir(dest.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(left.len(), 2, "a bad download must leave nothing behind: {left:?}");

    // With the good bytes served, everything lands and loads.
    let base = serve(vec![
        ("t10k-labels-idx1-ubyte.gz".into(), std::fs::read(shared.join("t10k-labels-idx1-ubyte.gz")).unwrap()),
        ("t10k-images-idx3-ubyte.gz".into(), std::fs::read(shared.join("t10k-images-idx3-ubyte.gz")).unwrap()),
    ]);
    let fetched = download::fetch_missing(dest.path(), &base).unwrap();
    assert_eq!(fetched.len(), 2);
    assert_eq!(data::load(dest.path(), Dataset::Mnist, Split::Test).unwrap().count, 10000);
}

#[test]
fn an_unreachable_mirror_is_an_error() {
    let dest = tempfile::tempdir().unwrap();
    let err = download::fetch_missing(dest.path(), "http://127.0.0.1:9").unwrap_err();
    assert!(matches!(err, DownloadError::Http { .. }), "{err}");
}
