# shellcheck shell=bash
# Sourced by the scripts that run on the GPU machine (scripts/gpu-check.sh,
# bench/ship-candidates.sh): with DCGAN_BUNDLE set to an unpacked scripts/gpu-bundle.sh
# bundle, points DCGAN_BIN, MNIST_DIR and ORT_DYLIB_PATH into it and puts ONNX Runtime,
# libtorch and the nvidia wheels' libraries on LD_LIBRARY_PATH. Without DCGAN_BUNDLE it
# changes nothing. Needs `py`: a Python with torch (the machine's, there).
if [ -n "${DCGAN_BUNDLE:-}" ]; then
    : "${py:?scripts/gpu-env.sh needs py, a Python with torch}"
    DCGAN_BIN=$DCGAN_BUNDLE/bin
    MNIST_DIR=$DCGAN_BUNDLE/mnist
    ORT_DYLIB_PATH=$(ls "$DCGAN_BUNDLE"/ort/libonnxruntime.so.* | head -n 1)
    # The trainer's rpath names this repo's .native/; there, libtorch is the Python's.
    gpu_env_torch=$("$py" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    gpu_env_nvidia=$(ls -d "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/nvidia/*/lib 2>/dev/null | paste -sd: -)
    export LD_LIBRARY_PATH=$DCGAN_BUNDLE/ort:$gpu_env_torch${gpu_env_nvidia:+:$gpu_env_nvidia}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    unset gpu_env_torch gpu_env_nvidia
    export DCGAN_BIN MNIST_DIR ORT_DYLIB_PATH
fi
