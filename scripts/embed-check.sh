#!/usr/bin/env bash
# The README's "Embed it" section, proven as written, from the packaged crates alone:
#   1. `cargo package` the library (dcgan-infer) and the workspace crates it depends on;
#   2. unpack the .crate files into an empty folder outside the workspace;
#   3. build an app whose Cargo.toml has the README's dependency line (its path pointed
#      at the unpacked package) and whose src/main.rs is the README's Rust block;
#   4. run it in an empty folder and compare its digits.png, byte for byte, with what
#      `infer --seed 42 -n 16 --cols 4 --scale 2` writes;
#   5. run the library's examples (infer/examples/) as the README names them.
# Run by scripts/test.sh after `cargo test` (which built target/release/infer). Offline:
# every crate the app needs is in the cargo cache already, at the workspace's versions
# (its Cargo.lock is the app's starting point).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
say() { echo "embed-check: $*" >&2; }

# The library and every workspace crate it depends on (the `cli` feature's too).
crates=(dcgan dcgan-onnx dcgan-models dcgan-media dcgan-cli dcgan-infer)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say "cargo package ${crates[*]}"
# --no-verify: step 3 is the verification, against the same unpacked files a registry
# would serve, with the workspace's compiled dependencies reused.
cargo package --offline --locked --no-verify --allow-dirty --quiet "${crates[@]/#/--package=}" \
    --target-dir "$root/target"
mkdir -p "$work/crates"
for c in "${crates[@]}"; do
    tar -xzf "$root/target/package/$c-0.1.0.crate" -C "$work/crates"
done

# The README's dependency line and Rust block, exactly as a reader copies them.
section=$(sed -n '/^### Embed it/,/^### /p' README.md)
dep=$(grep -m1 '^dcgan-infer = { path = "' <<<"$section") \
    || { say "README.md's \"Embed it\" has no dcgan-infer path line"; exit 1; }
main=$(awk '/<!-- embed: main.rs -->/ { on = 1; next } on && /^```rust/ { body = 1; next }
            body && /^```/ { exit } body { print }' <<<"$section")
[ -n "$main" ] || { say "README.md's \"Embed it\" has no <!-- embed: main.rs --> block"; exit 1; }

app="$work/app"
mkdir -p "$app/src"
printf '%s\n' "$main" > "$app/src/main.rs"
unpacked="$work/crates/dcgan-infer-0.1.0"
{
    printf '[package]\nname = "digits-app"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n'
    printf '[dependencies]\n%s\n\n' "$(sed -E "s#path = \"[^\"]*\"#path = \"$unpacked\"#" <<<"$dep")"
    # The packaged library names its workspace dependencies by version, as a registry
    # would serve them; here they come from the unpacked files, not crates.io.
    printf '[patch.crates-io]\n'
    for c in "${crates[@]}"; do
        [ "$c" = dcgan-infer ] || printf '%s = { path = "%s" }\n' "$c" "$work/crates/$c-0.1.0"
    done
    # The workspace's release profile, so that tract compiled by `cargo test` is reused.
    printf '\n[profile.release]\ndebug = false\nstrip = "symbols"\n'
    printf '\n[profile.release.package.tract-core]\nopt-level = 1\n'
} > "$app/Cargo.toml"
cp Cargo.lock "$app/Cargo.lock"

say "building the app ($(wc -l < "$app/src/main.rs") lines of Rust) from the unpacked crates"
(cd "$app" && cargo build --release --offline --quiet --target-dir "$root/target")
mkdir -p "$work/run"
(cd "$work/run" && "$root/target/release/digits-app")
infer="$root/target/release/infer"
[ -x "$infer" ] || { say "$infer is missing: cargo build --release -p dcgan-infer --features cli"; exit 1; }
"$infer" --seed 42 -n 16 --cols 4 --scale 2 --out "$work/infer.png" >/dev/null
if cmp -s "$work/run/digits.png" "$work/infer.png"; then
    say "digits.png from the packaged crates is byte-identical to infer's ($(stat -c %s "$work/infer.png") bytes)"
else
    say "digits.png differs from \`infer --seed 42 -n 16 --cols 4 --scale 2\`"
    exit 1
fi

say "the library's examples: embed, digit, walk, stranger"
# Built as `cargo test --workspace` built them (the same features), so nothing recompiles.
cargo build --release --offline --locked --quiet --workspace --examples
ex="$work/examples"
mkdir -p "$ex"
example() { local name=$1; shift; (cd "$ex" && "$root/target/release/examples/$name" "$@"); }
example embed 42
example digit 7
example walk 3 8
for f in embedded.png digit-7.png walk.gif; do
    [ -s "$ex/$f" ] || { say "an example did not write $f"; exit 1; }
done
example stranger "$root/models/gen.onnx"
printf 'not a model' > "$ex/junk.onnx"
status=0
example stranger "$ex/junk.onnx" || status=$?
[ "$status" = 2 ] || { say "stranger on a junk file: exit $status, expected 2"; exit 1; }
say "examples ran: embed, digit, walk and stranger (a junk file: exit 2)"
