#!/usr/bin/env bash
# On the GPU machine: join the parts scripts/gpu-bundle.sh made (copied into DIR by the
# calls that carried them), check them against the bundle's sha256 and unpack them in
# DIR (bin/, ort/, mnist/). Python's lzma stands in where xz is missing.
#
# usage: scripts/gpu-unpack.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/gpu-unpack.sh DIR}
cd "$dir"
cat bundle.tar.xz.[0-9] >bundle.tar.xz
sha256sum -c bundle.sha256 >&2 || { echo "gpu-unpack: the parts do not make the bundle: carry every part again" >&2; exit 2; }
if command -v xz >/dev/null; then
    xz -dc bundle.tar.xz | tar -xf -
else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open("bundle.tar.xz"), sys.stdout.buffer)' | tar -xf -
fi
rm -f bundle.tar.xz bundle.tar.xz.[0-9]
echo "gpu-unpack: $(du -sh . | cut -f1) in $dir: $(ls bin | tr '\n' ' ')" >&2
