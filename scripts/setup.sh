#!/usr/bin/env bash
# Installs the native libraries and Python tools this workspace needs, idempotently,
# from PyPI (into a virtual environment: Debian's python3-venv is installed first when
# python3 cannot make one):
#   libtorch      (PyTorch 2.11.0, used by the `train` crate through tch 0.24)
#   onnxruntime   (1.31.1, libonnxruntime.so loaded by `infer` through ort's load-dynamic)
#   onnx, numpy   (for the conformance tests and the Python side of the benchmarks)
#   tritonclient  (2.73.0 [http,grpc]: the official v2 client the `serve` tests use, and
#                  Triton's model-config schema)
#   playwright, pillow (1.65.2, 12.1.1: the browser test drives Debian's chromium;
#                  scripts/setup-web.sh installs chromium and the page's npm packages)
#   tensorboard   (2.21.0: its own event reader checks the event files `train` writes)
#   prometheus_client (0.26.0: its parser reads `serve`'s /metrics in the tests)
#   nvidia-cuda-crt (13.0.88: the CUDA C runtime headers, crt/*.h, which torch's CUDA 13
#                  wheels leave out and train/cuda-graph's C++ shim needs to compile)
#
# They go into a virtual environment in a per-user cache keyed by the versions, so
# fresh clones and CI runs on the same machine share it; `.native/` in the repo then
# links to it, and `.cargo/config.toml` points cargo there. A second run that finds
# everything in place only refreshes the links (well under a second).
#
# Usage: scripts/setup.sh            install (or check) everything
#        scripts/setup.sh --gpu      also onnxruntime-gpu 1.31.1 (CUDA 13), in a venv of its
#                                    own, and print what `infer --device cuda` needs
#        DCGAN_NATIVE_CACHE=DIR ...   put the cache somewhere else
set -euo pipefail

TORCH_VERSION=2.11.0
ORT_VERSION=1.31.1
ONNX_VERSION=1.19.1
TRITONCLIENT_VERSION=2.73.0
PLAYWRIGHT_VERSION=1.65.2
PILLOW_VERSION=12.1.1
# Added to an existing environment without reinstalling the rest (their own stamp).
EXTRAS="tensorboard==2.21.0 prometheus_client==0.26.0 nvidia-cuda-crt==13.0.88"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_base=${DCGAN_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dcgan-native}
cache="$cache_base/torch-$TORCH_VERSION-ort-$ORT_VERSION-onnx-$ONNX_VERSION-tools-$TRITONCLIENT_VERSION-$PLAYWRIGHT_VERSION"
venv="$cache/venv"
stamp="$cache/.complete"

if [ ! -f "$stamp" ]; then
    echo "setup: installing torch==$TORCH_VERSION onnxruntime==$ORT_VERSION onnx==$ONNX_VERSION tritonclient==$TRITONCLIENT_VERSION playwright==$PLAYWRIGHT_VERSION into $venv (a few GB, once per machine)" >&2
    # Debian's python3 makes virtual environments only with python3-venv (ensurepip).
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        # shellcheck source=scripts/apt.sh
        source "$root/scripts/apt.sh"
        apt_install python3-venv || exit 1
    fi
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "torch==$TORCH_VERSION" "onnxruntime==$ORT_VERSION" "onnx==$ONNX_VERSION" numpy \
        "tritonclient[http,grpc]==$TRITONCLIENT_VERSION" "playwright==$PLAYWRIGHT_VERSION" "pillow==$PILLOW_VERSION"
    touch "$stamp"
fi
extras_stamp="$cache/.extras-$(echo "$EXTRAS" | tr ' =' '_-')"
if [ ! -f "$extras_stamp" ]; then
    echo "setup: installing $EXTRAS into $venv" >&2
    # shellcheck disable=SC2086 # EXTRAS is a list of requirements
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $EXTRAS
    touch "$extras_stamp"
fi

site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ortlib=$(ls "$site"/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | head -n 1 || true)
[ -f "$site/torch/lib/libtorch.so" ] || { echo "setup: libtorch missing in $site/torch; remove $cache and rerun" >&2; exit 1; }
[ -n "$ortlib" ] || { echo "setup: libonnxruntime.so missing in $site/onnxruntime; remove $cache and rerun" >&2; exit 1; }

mkdir -p "$root/.native"
ln -sfn "$venv" "$root/.native/venv"
ln -sfn "$site/torch" "$root/.native/torch"
ln -sfn "$ortlib" "$root/.native/libonnxruntime.so"
echo "setup: ok (libtorch $TORCH_VERSION, onnxruntime $ORT_VERSION) in $cache" >&2

if [ "${1:-}" = "--gpu" ]; then
    gpu="$cache_base/ort-gpu-$ORT_VERSION/venv"
    if [ ! -f "$gpu/../.complete" ]; then
        echo "setup: installing onnxruntime-gpu==$ORT_VERSION (CUDA 13, with its nvidia-* wheels) into $gpu" >&2
        rm -rf "$gpu" && mkdir -p "$(dirname "$gpu")" && python3 -m venv "$gpu"
        "$gpu/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "onnxruntime-gpu==$ORT_VERSION"
        touch "$gpu/../.complete"
    fi
    gsite=$("$gpu/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    glib=$(ls "$gsite"/onnxruntime/capi/libonnxruntime.so* | head -n 1)
    # The dynamic loader reads LD_LIBRARY_PATH when a process starts, so it is printed here
    # rather than set: the CUDA and cuDNN libraries of the nvidia-* wheels.
    nvidia=$(ls -d "$gsite"/nvidia/*/lib 2>/dev/null | paste -sd: -)
    echo "setup: onnxruntime-gpu ok; for \`infer --device cuda\` run with:" >&2
    echo "    export ORT_DYLIB_PATH=$glib" >&2
    echo "    export LD_LIBRARY_PATH=$nvidia\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" >&2
fi
