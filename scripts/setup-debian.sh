#!/usr/bin/env bash
# Installs what building (and, with --tests, testing) CAHTS needs on Debian/Ubuntu.
# Idempotent: installs only what is missing. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

# fonts-noto-color-emoji: customers write in emoji; without it they render as boxes.
build_packages=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev fonts-noto-color-emoji
  libsoup-3.0-dev libxdo-dev build-essential pkg-config libssl-dev file curl)
# xauth: xvfb-run needs it and xvfb only recommends it. chromium: the UI browser tests.
# poppler-utils reads the PDF reports back; fonts-droid-fallback is a small Chinese/Japanese/
# Korean font, so the PDF test prints those scripts with a font the computer has.
test_packages=(xvfb xauth imagemagick dbus dbus-x11 gnome-keyring libsecret-tools openssl
  webkit2gtk-driver xdotool x11-utils procps chromium poppler-utils fonts-droid-fallback)

packages=("${build_packages[@]}")
[ "$want_tests" = 1 ] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: Rust is missing: install it from https://rustup.rs" >&2; exit 1; }
if [ "$want_tests" = 1 ] && command -v rustup >/dev/null; then
  # The test command checks formatting and lints.
  rustup component add rustfmt clippy >/dev/null
fi
command -v npm >/dev/null || { echo "setup: Node.js 20+ and npm are missing: install them from https://nodejs.org" >&2; exit 1; }

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing UI packages"
  (cd ui && npm ci --no-audit --no-fund)
fi

if [ "$want_tests" = 1 ] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi
