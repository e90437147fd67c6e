#!/usr/bin/env bash
# The relay benchmark: a release cahts-relay and simulated devices on loopback; prints one
# JSON line (webhooks accepted per second, POST-to-ack latency at a steady rate, relay RSS
# idle and with 1,000 connected devices). Extra arguments go to relay-bench (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each connected device is a socket on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export CAHTS_BENCH_RELEASE=1
exec cargo run --quiet --release -p cahts-tests --bin relay-bench -- "$@"
