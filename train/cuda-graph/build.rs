//! Compiles `src/shim.cpp` against the libtorch that `scripts/setup.sh` installed
//! (`LIBTORCH`, PyPI's torch) and the CUDA runtime headers of its nvidia wheels, when
//! that libtorch has CUDA (`libtorch_cuda.so` and `ATen/cuda/CUDAGraph.h`); sets the cfg
//! `cuda_graphs` then. Without them the crate builds and says, at run time, why there
//! are no graphs. Nothing here needs a GPU: CI compiles the shim on CPU-only machines.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-changed=src/shim.cpp");
    println!("cargo::rustc-check-cfg=cfg(cuda_graphs)");
    let Some(root) = std::env::var_os("LIBTORCH").map(PathBuf::from) else {
        return note("LIBTORCH is not set");
    };
    let include = root.join("include");
    let lib = root.join("lib");
    if !include.join("ATen/cuda/CUDAGraph.h").exists() || !lib.join("libtorch_cuda.so").exists() {
        return note(&format!("{} is a libtorch without CUDA", root.display()));
    }
    let Some(cuda_include) = nvidia_dir(&root, "include", "cuda_runtime_api.h") else {
        return note("no CUDA runtime headers (cuda_runtime_api.h) in the nvidia wheels beside libtorch");
    };
    // c10's inline CUDA helpers call the CUDA runtime itself (libtorch links it too).
    let Some(cudart) = nvidia_dir(&root, "lib", "libcudart.so") else {
        return note("no CUDA runtime library (libcudart.so*) in the nvidia wheels beside libtorch");
    };
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file("src/shim.cpp")
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .include(&cuda_include.0)
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false)
        .compile("dcgan_cuda_graph_shim");
    println!("cargo:rustc-link-search=native={}", lib.display());
    for name in ["torch_cuda", "c10_cuda", "torch_cpu", "c10"] {
        println!("cargo:rustc-link-lib=dylib={name}");
    }
    println!("cargo:rustc-link-search=native={}", cudart.0.display());
    println!("cargo:rustc-link-lib=dylib:+verbatim={}", cudart.1);
    println!("cargo:rustc-cfg=cuda_graphs");
}

/// The folder `…/site-packages/nvidia/*/KIND` (beside libtorch's `torch/`) holding a
/// file whose name starts with `prefix`, and that file's name (CUDA 13's wheels put the
/// runtime in `nvidia/cu13/`, CUDA 12's in `nvidia/cuda_runtime/`).
fn nvidia_dir(libtorch: &Path, kind: &str, prefix: &str) -> Option<(PathBuf, String)> {
    let nvidia = libtorch.canonicalize().ok()?.parent()?.join("nvidia");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(nvidia).ok()?.filter_map(|e| Some(e.ok()?.path().join(kind))).collect();
    dirs.sort();
    dirs.into_iter().find_map(|dir| {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(prefix))
            .collect();
        names.sort();
        Some((dir, names.into_iter().next()?))
    })
}

fn note(why: &str) {
    println!("cargo:warning=train --cuda-graphs is not built: {why}");
    println!("cargo:rustc-env=DCGAN_CUDA_GRAPHS_MISSING={why}");
}
