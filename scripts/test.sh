#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: setup (native libraries and Python tools,
# then Chromium and the page's npm packages), format, lints, every test.
# One build profile (release) throughout, so tract and libtorch's wrapper build once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
scripts/setup-web.sh
if [ -z "${MNIST_DIR:-}" ] && [ -d ../shared/data/mnist ]; then
    MNIST_DIR=$(cd ../shared/data/mnist && pwd)
    export MNIST_DIR
fi
if [ -z "${MNIST_DIR:-}" ]; then
    echo "test: MNIST_DIR is not set; the tests that read MNIST will say they skip" >&2
    echo "      (README, "Data", says how to get MNIST)" >&2
fi

step() { printf '\n== %s\n' "$*" >&2; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (release, all targets, -D warnings)"
cargo clippy --release --locked --workspace --all-targets -- -D warnings
step "cargo test (release)"
cargo test --release --locked --workspace
step "the README's embedding, built from the packaged crates (scripts/embed-check.sh)"
scripts/embed-check.sh
