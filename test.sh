#!/usr/bin/env bash
# Runs every test: unit, integration (SQLite and a throwaway PostgreSQL), and browser tests in Debian chromium.
# Installs what is missing. Last line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
ci=${CI:-false}

log() { printf '== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  log "installing chromium and CJK fonts (Debian packages)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
      || log "could not install chromium"
  else
    log "not root: cannot install chromium"
  fi
fi
if command -v chromium >/dev/null 2>&1; then export SHEQUN_CHROMIUM=$(command -v chromium); fi

# --- throwaway PostgreSQL ----------------------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT
if [ -n "$pgbin" ] && id postgres >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/shequn-pg.XXXXXX)
  chown postgres "$pgdir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null
  export SHEQUN_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
  log "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on port $port"
else
  log "PostgreSQL binaries not found: PostgreSQL tests will be $([ "$ci" = true ] && echo failed || echo skipped)"
fi

# --- build and run -----------------------------------------------------------------------------
results="$root/.artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet tool restore >/dev/null
dotnet build Shequn.slnx -c Debug -nologo -v quiet -clp:ErrorsOnly
# A model change without migrations for both providers fails the unit tests (Data/ModelMigrationsTests).

# A CycloneDX SBOM of what src/Shequn ships, read from the restored packages and the local package cache: no restore and
# no licence look-ups, so it needs no network (BuildSecurityTests checks it lists every package).
if ! dotnet tool run dotnet-CycloneDX src/Shequn/Shequn.csproj -o .artifacts/sbom -fn bom.json -F Json -dpr -ns -sn Shequn >/dev/null; then
  echo "Could not write the SBOM (.artifacts/sbom/bom.json)." >&2
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# Formatting is part of the build: `dotnet format whitespace Shequn.slnx` fixes what this reports.
if ! dotnet format whitespace Shequn.slnx --verify-no-changes >&2; then
  echo "Formatting differs from .editorconfig: run 'dotnet format whitespace Shequn.slnx'." >&2
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# Dynamic PGO off for the test processes (the runners, the console app the browser tests start, the benches' smoke runs):
# its instrumented tier and the rejits it feeds cost more CPU than they return in processes this short-lived. Measured
# on 433 unit tests: 136 s with it, 111 s without; the whole unit suite did not show that gain (624 s against 609-637 s,
# docs/benchmarks.md, "Test suite"). The app as users run it keeps it.
export DOTNET_TieredPGO=0
status=0
# xunit v3 test projects are executables: run them directly with their own runner. The unit tests run 1.5 classes per
# core: with one per core, 12 % of the CPU stayed idle while tests waited on processes, sockets and timers; with 1.5,
# 4 %, and the run took 487 s instead of 601 s (docs/benchmarks.md, "Test suite"). The browser tests take turns anyway.
for name in Shequn.Tests Shequn.BrowserTests; do
  dll="tests/$name/bin/Debug/net10.0/$name.dll"
  threads=(); [ "$name" = Shequn.Tests ] && threads=(-maxThreads 1.5x)
  dotnet "$dll" -noColor -noLogo "${threads[@]}" -result-trx "$results/$name.trx" "$@" || status=1
done

python3 - "$results" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
p=f=s=0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    run = ET.parse(path).getroot()
    c = run.find(".//{*}Counters")
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    s += int(c.get("notExecuted", 0))
    # The failures again at the end, where a log's tail shows them: name and the message's first line.
    for r in run.iterfind(".//{*}UnitTestResult"):
        if r.get("outcome") not in ("Passed", "NotExecuted"):
            message = (r.findtext(".//{*}Message") or "").strip()
            print(f"FAILED {r.get('testName')} ({r.get('outcome')}): {message.splitlines()[0][:300] if message else ''}")
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
exit $status
