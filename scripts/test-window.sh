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
metasim=$(realpath "$4")
fixtures=$(realpath tests/fixtures/meta)
mkdir -p ui/test-results
export PATH="$HOME/.cargo/bin:$PATH"
sandbox=$(mktemp -d -t cahts-window-XXXXXX)
export CAHTS_DATA_DIR="$sandbox/data"
export XDG_DATA_HOME="$sandbox/xdg-data" XDG_CACHE_HOME="$sandbox/xdg-cache" XDG_CONFIG_HOME="$sandbox/xdg-config"
mkdir -p "$CAHTS_DATA_DIR"
# meta-sim plays Meta for the account and reply steps; the app reaches it through
# CAHTS_GRAPH_BASE, inherited like everything else from tauri-driver's environment.
"$metasim" --port 0 > "$sandbox/meta-sim.out" 2> "$sandbox/meta-sim.err" &
metasim_pid=$!
trap 'kill "$metasim_pid" 2>/dev/null || true; rm -rf "$sandbox"' EXIT
for _ in $(seq 100); do [ "$(wc -l < "$sandbox/meta-sim.out")" -ge 2 ] && break; sleep 0.1; done
export CAHTS_GRAPH_BASE
CAHTS_GRAPH_BASE=$(sed -n 's/^meta-sim listening on //p' "$sandbox/meta-sim.out")
[ -n "$CAHTS_GRAPH_BASE" ] || { echo "meta-sim did not start:"; cat "$sandbox/meta-sim.err"; exit 1; }
sed -n 2p "$sandbox/meta-sim.out" > "$sandbox/meta-sim.json"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  set -euo pipefail
  # Pairing keeps the device key in the Secret Service: an unlocked keyring on this bus.
  echo -n window-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  tauri-driver --port 4444 > ui/test-results/tauri-driver.log 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break; sleep 0.1; done
  cd ui && node e2e/window.mjs "$0" "$1" "$2" "$3" "$4"
' "$app" "$cli" "$fixtures" "$relay" "$sandbox/meta-sim.json"
