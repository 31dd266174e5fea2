#!/usr/bin/env bash
# Benchmarks. ./bench.sh moderation [--seconds N]: one-thread throughput of the moderation engine on the
# shared data (../shared/data). Last line: "moderation: N msgs/s full check, lexicon scan Rx SearchValues, rebuild Nk terms S s".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
data=${SHEQUN_DATA:-$root/../shared/data}

usage() { echo "usage: ./bench.sh moderation [--seconds N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
what=$1; shift

case "$what" in
  moderation)
    dotnet build bench/Shequn.Benchmarks -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    # The figures are per thread (one core). No pinning: on a shared machine a pinned core may be the busy one.
    DOTNET_TieredPGO=1 dotnet bench/Shequn.Benchmarks/bin/Release/net10.0/Shequn.Benchmarks.dll moderation --data "$data" "$@"
    ;;
  *) usage ;;
esac
