#!/usr/bin/env bash
# Runs every test: Rust formatting and lints, Rust tests (engine, store, normalization,
# layering, CLI end to end), the UI's lint, formatting and unit tests, the Chromium tests
# of the UI, and the real window end to end under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TARGET_DIR="$target"
section() { printf '\n=== %s ===\n' "$1"; }

section "setup"
./scripts/setup-debian.sh --tests

section "Rust: formatting and lints (warnings denied)"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

section "Rust tests (engine, normalization, bindings freshness, CLI end to end)"
./scripts/with-keyring.sh cargo test --workspace --exclude cahts

section "UI: lint and formatting"
(cd ui && npm run lint && npm run format:check)

section "UI: types, unit tests, build"
(cd ui && npm run typecheck && npm test && npm run build)

section "UI in Chromium"
(cd ui && npm run test:browser)

section "the real window (Xvfb + tauri-driver + WebKitWebDriver)"
cargo build -p cahts --features custom-protocol
cargo build -p cahts-engine --bin cahts-cli -p cahts-relay --bin cahts-relay -p cahts-tests --bin meta-sim
./scripts/test-window.sh "$target/debug/cahts" "$target/debug/cahts-cli" "$target/debug/cahts-relay" "$target/debug/meta-sim"

section "all tests passed"
