#!/usr/bin/env bash
# Builds and starts CAHTS: installs what is missing, builds the UI and the app (release),
# then opens the window. Set CAHTS_DATA_DIR to use another data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
(cd ui && npm run build)
cargo build --release -p cahts --features custom-protocol
target="${CARGO_TARGET_DIR:-target}"
exec "$target/release/cahts" "$@"
