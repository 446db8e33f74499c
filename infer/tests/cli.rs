//! The `infer` binary and library on a generator with random weights (exported with
//! `export::to_onnx`, no training needed): output, reproducible latents, both backends,
//! latent walks, thread counts, and where outputs go.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::process::Command;

use common::{model, refused, run_infer, s, write_npy};
use dcgan::GENERATOR;
use dcgan_infer::{Backend, Generator, Seed};

/// tract against ONNX Runtime on the same file and latents.
const BACKEND_TOLERANCE: f32 = 1e-5;

#[test]
fn writes_a_near_square_grid_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let png = dir.path().join("grid.png");
    let o = run_infer(&["--onnx", s(&onnx), "-n", "25", "--seed", "3", "--out", s(&png), "--scale", "2"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("grid.png")
            && stdout.contains("seed 3")
            && stdout.contains("tract on cpu")
            && stdout.contains("ms"),
        "{stdout}"
    );
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (5 * 58 + 2, 5 * 58 + 2));
    // Without --seed, one is picked and printed.
    let o = run_infer(&["--onnx", s(&onnx), "-n", "2", "--out", s(&png)]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("seed "));
}

#[test]
fn the_same_seed_gives_the_same_digits_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let tract = Generator::builder().onnx(&onnx).backend(Backend::Tract).build().unwrap();
    let ort = Generator::builder().onnx(&onnx).backend(Backend::Ort).build().unwrap().with_batch_size(3);
    let (a, b) = (tract.generate(Seed(11), 10).unwrap(), ort.generate(Seed(11), 10).unwrap());
    let diff = dcgan::tensors::max_abs_diff(a.values(), b.values());
    println!("tract vs ort, seed 11, n 10: max |Δ| = {diff:.2e} (tolerance {BACKEND_TOLERANCE:.0e})");
    assert!(diff <= BACKEND_TOLERANCE);
    // Caller-given z equal to the seed's latents gives the same images.
    let z = dcgan_infer::latents(11, 10);
    assert_eq!(tract.generate_from_z(&z).unwrap(), a);
}

#[test]
fn raw_each_and_z_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let (raw, each) = (dir.path().join("x.npy"), dir.path().join("each"));
    let o = run_infer(&[
        "--onnx",
        s(&onnx),
        "-n",
        "7",
        "--seed",
        "4",
        "--raw",
        s(&raw),
        "--each",
        s(&each),
        "--batch-size",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_dir(&each).unwrap().count(), 7);
    assert!(!dir.path().join("samples.png").exists(), "no grid unless asked when --raw/--each are given");
    let npy = npyz::NpyFile::new(std::fs::File::open(&raw).unwrap()).unwrap();
    assert_eq!(npy.shape(), &[7, 1, 28, 28]);
    let images = npy.into_vec::<f32>().unwrap();
    let direct =
        Generator::builder().onnx(&onnx).backend(Backend::Tract).build().unwrap().generate(Seed(4), 7).unwrap();
    assert_eq!(images, direct.into_values());

    // --z with the same latents reproduces them.
    let zpath = dir.path().join("z.npy");
    let z = dcgan_infer::latents(4, 7);
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[7, 100])
        .writer(std::fs::File::create(&zpath).unwrap())
        .begin_nd()
        .unwrap();
    w.extend(z).unwrap();
    w.finish().unwrap();
    let raw2 = dir.path().join("y.npy");
    let o = run_infer(&["--onnx", s(&onnx), "--z", s(&zpath), "--raw", s(&raw2)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&raw).unwrap(), std::fs::read(&raw2).unwrap());
}

#[test]
fn fortran_order_latents_are_read_as_rows() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let z = dcgan_infer::latents(5, 3);
    let (c, f) = (dir.path().join("c.npy"), dir.path().join("f.npy"));
    write_npy(&c, &z, 3, 100, false);
    write_npy(&f, &z, 3, 100, true);
    let (rc, rf) = (dir.path().join("c-out.npy"), dir.path().join("f-out.npy"));
    assert!(run_infer(&["--onnx", s(&onnx), "--z", s(&c), "--raw", s(&rc)]).status.success());
    assert!(run_infer(&["--onnx", s(&onnx), "--z", s(&f), "--raw", s(&rf)]).status.success());
    assert_eq!(std::fs::read(&rc).unwrap(), std::fs::read(&rf).unwrap());
}

#[test]
fn conditional_models_take_digits() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &dcgan::CONDITIONAL_GENERATOR, "cond.onnx");
    let g = Generator::builder().onnx(&onnx).backend(Backend::Tract).build().unwrap();
    assert_eq!(g.info().num_classes, Some(10));
    // Without digits, row i is digit i mod 10 (DESIGN.md §7).
    let cycled: Vec<i64> = (0..12).map(|i| i % 10).collect();
    assert_eq!(g.generate(Seed(3), 12).unwrap(), g.generate_digits(Seed(3), &cycled).unwrap());
    let sevens = dir.path().join("sevens.npy");
    assert!(
        run_infer(&["--onnx", s(&onnx), "--seed", "3", "-n", "4", "--digit", "7", "--raw", s(&sevens)])
            .status
            .success()
    );
    let raw = npyz::NpyFile::new(std::fs::File::open(&sevens).unwrap()).unwrap().into_vec::<f32>().unwrap();
    assert_eq!(raw, g.generate_digits(Seed(3), &[7; 4]).unwrap().into_values());
    let grid = dir.path().join("all.png");
    let o = run_infer(&["--onnx", s(&onnx), "--digits", "all", "-n", "3", "--out", s(&grid)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(image::image_dimensions(&grid).unwrap(), (3 * 30 + 2, 10 * 30 + 2));
    let list = dir.path().join("list.png");
    assert!(
        run_infer(&["--onnx", s(&onnx), "--digits", "3,1,4,1,5", "--cols", "5", "--out", s(&list)]).status.success()
    );
    assert_eq!(image::image_dimensions(&list).unwrap(), (5 * 30 + 2, 30 + 2));
    let out = dir.path().join("x.png");
    refused(&["--onnx", s(&onnx), "--digit", "10", "--out", s(&out)], &out, "outside 0–9");
    refused(&["--onnx", s(&onnx), "--digits", "1,-1", "--out", s(&out)], &out, "outside 0–9");
    // 2^40 labels would be 8 TiB: the plan is refused before anything is allocated for it.
    // (2^40 is also --count's own limit.)
    let n = "1099511627776";
    refused(&["--onnx", s(&onnx), "-n", n, "--digit", "3", "--out", s(&out)], &out, "at most 16777216");
    refused(&["--onnx", s(&onnx), "-n", n, "--digits", "all", "--out", s(&out)], &out, "at most 16777216");
    assert!(g.generate_digits(Seed(1), &[12]).is_err(), "the library refuses too, before any run");
}

#[test]
fn a_latent_walk_is_a_gif() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let gif = dir.path().join("walk.gif");
    let o = run_infer(&["--onnx", s(&onnx), "-n", "4", "--interpolate", "1,2", "--frames", "5", "--gif", s(&gif)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let decoder =
        image::codecs::gif::GifDecoder::new(std::io::BufReader::new(std::fs::File::open(&gif).unwrap())).unwrap();
    let frames = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
    assert_eq!(frames.len(), 5);
    // The walk starts at seed 1's grid.
    let start = dir.path().join("start.png");
    assert!(run_infer(&["--onnx", s(&onnx), "-n", "4", "--seed", "1", "--out", s(&start)]).status.success());
    let first = frames[0].buffer();
    let want = image::open(&start).unwrap().to_luma8();
    let worst =
        want.enumerate_pixels().map(|(x, y, p)| (i16::from(p[0]) - i16::from(first.get_pixel(x, y)[0])).abs()).max();
    assert!(worst <= Some(1), "first frame differs by {worst:?} grey levels");
}

/// Ctrl-C of a long run: exit 130, the .npy's temporary file removed, and a line that
/// says what was kept.
#[test]
fn an_interrupted_run_cleans_up_and_says_what_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let (raw, each) = (dir.path().join("x.npy"), dir.path().join("each"));
    let child = Command::new(env!("CARGO_BIN_EXE_infer"))
        .args(["--onnx", s(&onnx), "-n", "200000", "--batch-size", "64", "--raw", s(&raw), "--each", s(&each)])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::read_dir(&each).map_or(0, |d| d.count()) < 64 {
        assert!(std::time::Instant::now() < deadline, "no image after 120 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(cli::ci::send_signal(child.id(), "-INT"));
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{}", err.trim());
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted after") && err.contains("PNGs written"), "{err}");
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(!raw.exists() && !leftovers.iter().any(|n| n.to_string_lossy().contains("partial")), "{leftovers:?}");
}

/// `Images` from an app: a missing image, a scale out of range, 0 columns or no images
/// give an error or a picture, never a panic in the PNG writer.
#[test]
fn images_give_a_picture_or_an_error() {
    let one = dcgan_infer::Images::new(vec![0.0; 784]);
    assert!(one.gray(1, 1).is_err() && one.gray(0, 0).is_err() && one.gray(0, 65).is_err());
    assert_eq!(one.gray(0, 2).unwrap().dimensions(), (56, 56));
    assert_eq!(one.grid(0, 1).unwrap().dimensions(), (32, 32));
    let none = dcgan_infer::Images::new(Vec::new());
    assert!(none.gray(0, 1).is_err());
    let empty = none.grid(0, 1).unwrap();
    println!("no images in a grid: {:?} pixels of padding", empty.dimensions());
    assert!(media::grid::png_bytes(&empty).is_ok());
}

/// Chunks run side by side give the same bits as one after another, and as tract's own
/// multithreaded matrix products gave before them: the chunking never depends on the
/// thread count.
#[test]
fn images_are_identical_for_any_thread_count() {
    use tract_linalg::multithread::{Executor, multithread_tract_scope};
    let dir = tempfile::tempdir().unwrap();
    for (arch, name) in [(&GENERATOR, "gen.onnx"), (&dcgan::CONDITIONAL_GENERATOR, "cond.onnx")] {
        let bytes = std::fs::read(model(dir.path(), arch, name)).unwrap();
        let rows = 70;
        let z = dcgan_infer::latents(5, rows);
        let labels: Option<Vec<i64>> = arch.condition.map(|_| (0..rows as i64).map(|i| i % 10).collect());
        let before = multithread_tract_scope(Executor::multithread(2), || {
            dcgan_infer::tract_backend::TractModel::from_bytes(&bytes).unwrap().with_threads(1).run(
                &z,
                &[rows, 100],
                labels.as_deref(),
            )
        })
        .unwrap()
        .0;
        for threads in [1, 2, 3, 8] {
            let g = Generator::builder()
                .bytes(&bytes)
                .backend(Backend::Tract)
                .build()
                .unwrap()
                .with_threads(threads)
                .unwrap();
            let got = g.run(&z, labels.as_deref()).unwrap();
            let same = got.iter().zip(&before).filter(|(a, b)| a.to_bits() == b.to_bits()).count();
            println!("{name}, {threads} threads: {same} of {} values bit-identical", before.len());
            assert_eq!(got.len(), before.len());
            assert_eq!(same, before.len());
        }
    }
}

/// `--out` and `--raw` on every kind of path a user may name: a folder is refused with
/// exit 2 before the model runs, a FIFO nobody reads with exit 2 when it is written; a
/// symbolic link writes its target and stays a link; a character device (our own null
/// device, never the machine's /dev) is written through and stays a device.
#[test]
fn outputs_go_where_the_path_points_and_never_replace_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = run_infer(&[&["-n", "4", "--seed", "1"], args].concat());
        let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
        println!("{args:?} -> exit {:?}: {err}", o.status.code());
        (o.status.code(), err)
    };
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    for flag in ["--out", "--raw"] {
        let (code, err) = run(&[flag, s(&folder)]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("is a folder") && !err.contains("images of"), "{err}");
    }
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (code, err) = run(&["--out", s(&fifo)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no process is reading"), "{err}");

    let target = dir.path().join("grid.png");
    let link = dir.path().join("link.png");
    std::os::unix::fs::symlink("grid.png", &link).unwrap();
    let (code, err) = run(&["--out", s(&link)]);
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced by a file");
    assert!(image::open(&target).is_ok(), "the link's target holds no PNG");

    let null = dir.path().join("null");
    let made = Command::new("mknod").arg(&null).args(["c", "1", "3"]).status().is_ok_and(|s| s.success());
    if cli::ci::require("mknod (root)", made) {
        use std::os::unix::fs::FileTypeExt;
        for flag in ["--out", "--raw"] {
            let (code, err) = run(&[flag, s(&null)]);
            assert_eq!(code, Some(0), "{flag}: {err}");
            assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device(), "{flag} replaced the device");
        }
    }
}
