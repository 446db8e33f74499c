# Sourced by the scripts that run on the GPU machine (scripts/gpu-check.sh,
# bench/ship-candidates.sh): with DCGAN_BUNDLE set to an unpacked scripts/gpu-bundle.sh
# bundle, point DCGAN_BIN, MNIST_DIR and ORT_DYLIB_PATH into it and put ONNX Runtime,
# libtorch and the nvidia wheels' libraries on LD_LIBRARY_PATH. Without DCGAN_BUNDLE it
# changes nothing. Needs `py`: a Python with torch (the machine's, there).
if [ -n "${DCGAN_BUNDLE:-}" ]; then
    DCGAN_BIN=$DCGAN_BUNDLE/bin
    MNIST_DIR=$DCGAN_BUNDLE/mnist
    ORT_DYLIB_PATH=$(ls "$DCGAN_BUNDLE"/ort/libonnxruntime.so.* | head -n 1)
    # The trainer's rpath names this repo's .native/; there, libtorch is the Python's.
    torch_lib=$("$py" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    nvidia=$(ls -d "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/nvidia/*/lib 2>/dev/null | paste -sd: -)
    export LD_LIBRARY_PATH=$DCGAN_BUNDLE/ort:$torch_lib${nvidia:+:$nvidia}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export DCGAN_BIN MNIST_DIR ORT_DYLIB_PATH
fi
