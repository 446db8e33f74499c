//! Link arguments for libtorch, kept here so that `infer` and `export` never see them.
//!
//! - `--no-as-needed` around `libtorch_cuda.so`: nothing references its symbols
//!   directly, so the linker would drop it and CUDA would never be seen.
//! - an rpath to libtorch's folder, so the binaries and tests run without LD_LIBRARY_PATH,
//!   and to the CUDA runtime's folder among the nvidia wheels beside it, which
//!   `train/cuda-graph`'s shim links.

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let Some(root) = std::env::var_os("LIBTORCH") else { return };
    let lib = std::path::Path::new(&root).join("lib");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    let nvidia = lib.canonicalize().ok().and_then(|l| Some(l.parent()?.parent()?.join("nvidia")));
    for entry in nvidia.and_then(|n| std::fs::read_dir(n).ok()).into_iter().flatten().flatten() {
        let dir = entry.path().join("lib");
        if dir.join("libcudart.so.13").exists() || dir.join("libcudart.so.12").exists() {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }
    if lib.join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-search=native={}", lib.display());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
