#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: setup (native libraries and Python tools,
# then Chromium and the page's npm packages), format, lints, docs, every test.
# One build profile (release) for the tests, so tract and libtorch's wrapper build once;
# the demo's own (`demo`) last, as a newcomer builds it.
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
step "cargo doc (the workspace's libraries, -D warnings: every intra-doc link resolves)"
RUSTDOCFLAGS="-D warnings" cargo doc --release --locked --no-deps --workspace --lib --quiet
step "cargo test (release)"
cargo test --release --locked --workspace
step "the README's embedding, built from the packaged crates (scripts/embed-check.sh)"
scripts/embed-check.sh
step "the README's first command (scripts/demo.sh): models/samples.png, byte for byte"
demo_dir=$(mktemp -d)
(cd "$demo_dir" && "$OLDPWD/scripts/demo.sh" > demo.out) || { rm -rf "$demo_dir"; exit 1; }
cat "$demo_dir/demo.out"
grep -q "^wrote $demo_dir/samples.png" "$demo_dir/demo.out" || { echo "demo: no 'wrote …/samples.png' line" >&2; rm -rf "$demo_dir"; exit 1; }
cmp "$demo_dir/samples.png" models/samples.png || { echo "demo: samples.png differs from models/samples.png" >&2; rm -rf "$demo_dir"; exit 1; }
echo "demo: samples.png is models/samples.png, byte for byte"
rm -rf "$demo_dir"
