#!/usr/bin/env bash
# Runs ui/e2e/window.mjs against the real app in a virtual display with its own session
# bus (so helper daemons end with it) and tauri-driver on 127.0.0.1:4444.
#
# The app inherits tauri-driver's environment (tauri-driver does not pass
# `tauri:options.env` on), so the isolation is set here: a fresh data directory and
# XDG directories under a temporary folder, never the user's own.
set -euo pipefail
cd "$(dirname "$0")/.."
app=$(realpath "$1")
cli=$(realpath "$2")
relay=$(realpath "$3")
fixtures=$(realpath tests/fixtures/meta)
mkdir -p ui/test-results
export PATH="$HOME/.cargo/bin:$PATH"
sandbox=$(mktemp -d -t cahts-window-XXXXXX)
trap 'rm -rf "$sandbox"' EXIT
export CAHTS_DATA_DIR="$sandbox/data"
export XDG_DATA_HOME="$sandbox/xdg-data" XDG_CACHE_HOME="$sandbox/xdg-cache" XDG_CONFIG_HOME="$sandbox/xdg-config"
mkdir -p "$CAHTS_DATA_DIR"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  set -euo pipefail
  # Pairing keeps the device key in the Secret Service: an unlocked keyring on this bus.
  echo -n window-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  tauri-driver --port 4444 > ui/test-results/tauri-driver.log 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break; sleep 0.1; done
  cd ui && node e2e/window.mjs "$0" "$1" "$2" "$3"
' "$app" "$cli" "$fixtures" "$relay"
