#!/usr/bin/env bash
# Runs a command with a reachable, unlocked Secret Service, so the keyring tests exercise the
# real OS keyring rather than skipping or hitting a mock:
#
#   scripts/with-keyring.sh cargo test -p cahts-engine
#
# It starts a private D-Bus session bus (dbus-run-session) and a gnome-keyring daemon on it whose
# keyring files live in a throwaway directory, so neither a real user's keyring files nor their
# running keyring daemon are touched, and the login keyring is created unlocked with a known
# password. Everything ends with the command: dbus-run-session stops the bus when the command exits
# and the daemon exits with its bus.
#
# When CAHTS_KEYRING_READY=1 the caller says a keyring is already reachable (a CI job that set one
# up, or a nested call), and the command runs as is.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]   e.g. $0 cargo test -p cahts-engine" >&2
    exit 2
fi

if [ "${CAHTS_KEYRING_READY:-}" = 1 ]; then
    exec "$@"
fi

for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool is missing; on Debian/Ubuntu: apt-get install dbus gnome-keyring libsecret-tools" >&2
        exit 1
    fi
done

# The inner script runs on the private bus. The daemon alone gets the throwaway XDG directories
# (its keyring files and control socket); the command keeps the caller's environment.
exec dbus-run-session -- bash -c '
    set -euo pipefail
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/cahts-keyring.XXXXXX")
    trap "rm -rf \"\$scratch\"" EXIT
    mkdir -m 0700 "$scratch/data" "$scratch/run"
    # --unlock reads the login keyring password from stdin, creating that keyring if needed;
    # no trailing newline, or it becomes part of the password.
    printf %s pw | env XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
    export CAHTS_KEYRING_READY=1
    # Not exec: the trap must remove the scratch directory after the command.
    "$@"
' with-keyring "$@"
