//! Compiles `src/shim.cpp` against the headers of the libtorch that `scripts/setup.sh`
//! installed (`LIBTORCH`) and sets the cfg `torch_ops`. Without them (a libtorch found
//! some other way) the crate builds and computes the same function with tch's own
//! operators, more slowly.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-changed=src/shim.cpp");
    println!("cargo::rustc-check-cfg=cfg(torch_ops)");
    let Some(root) = std::env::var_os("LIBTORCH").map(PathBuf::from) else {
        return println!("cargo:warning=LeakyReLU falls back to PReLU: LIBTORCH is not set");
    };
    let include = root.join("include");
    if !include.join("ATen/ops/leaky_relu.h").exists() {
        return println!("cargo:warning=LeakyReLU falls back to PReLU: no ATen headers in {}", include.display());
    }
    // A libtorch upgraded in place (scripts/setup.sh) must rebuild the shim.
    println!("cargo:rerun-if-changed={}", include.join("ATen/ops/leaky_relu.h").display());
    // Assumes scripts/setup.sh's layout: PyPI's torch, built with the C++11 ABI (no
    // std::string crosses the shim's interface either way).
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file("src/shim.cpp")
        .include(&include)
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .warnings(false)
        .compile("dcgan_torch_ops_shim");
    let lib = root.join("lib");
    println!("cargo:rustc-link-search=native={}", lib.display());
    // For this crate's own tests; `train`'s build script sets the binaries' rpath.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    for name in ["torch_cpu", "c10"] {
        println!("cargo:rustc-link-lib=dylib={name}");
    }
    println!("cargo:rustc-cfg=torch_ops");
}
