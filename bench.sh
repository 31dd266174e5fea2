#!/usr/bin/env bash
# Benchmarks (figures and method in docs/benchmarks.md).
#   ./bench.sh moderation [--seconds N]: one-thread throughput of the moderation engine on the
#     shared data (../shared/data). Last line: "moderation: N msgs/s full check, lexicon scan Rx SearchValues, rebuild Nk terms S s".
#   ./bench.sh ingest [--events N] [--producers P] [--batch B] [--rate R] [--latency-seconds S] [--synchronous Full|Normal] [--postgres]
#     Events through the real ingestion path on SQLite (or, with --postgres, a throwaway PostgreSQL).
#     Last line: "ingest: N events/s, Rx raw sqlite insert, p99 ack X ms at R/s, peak RSS M MB".
#   ./bench.sh webhook [--seconds S] [--connections C] [--rate R] [--rounds N]: Telegram updates POSTed by wrk to the webhook of the
#     real app on SQLite (secret header checked, stored before the 200), a bare-200 route on the same server,
#     short-circuited like the webhook, as the ceiling (and one through the whole pipeline), the server's CPU per
#     request, and the p99 at R/s offered (wrk paced by a Lua delay). wrk is installed with apt-get if missing.
#     The same webhook on a second app with the security headers and rate limits off (Security:Headers:Enabled and
#     Security:RateLimits:Enabled false) takes turns with it, N (3) rounds; the ratio of their median rounds is the cost.
#     Last line: "webhook: N updates/s, Rx bare endpoint, p99 X ms at R/s, security on/off Q".
#   ./bench.sh dispatch [--actions N] [--chats C] [--global-per-second G] [--postgres]
#     N queued sends (100,000) over C Telegram groups (1,000) dispatched by the built server to the fake Bot API with
#     Telegram's limits; G (30) is the global limit of both the fake and the server: at 30/s 100,000 sends take about
#     55 min, so raise G (or lower N) for a short run, e.g. --global-per-second 1000 (the per-group limits then bound it).
#     Last line: "dispatch: N actions, Rx of the limits' maximum, L lost, D sent twice, U us CPU per action".
#   ./bench.sh enforce [--messages N] [--rate R] [--seconds S]: N messages (200,000; 2 % ads) through the real processor with
#     enforcement on, on SQLite, against the same run with it off; then R/s (2,000) offered for S s (15), every 20th an ad,
#     and the time from the ad stored to its delete action committed in the outbox.
#     Last line: "enforce: N messages/s processed, p99 X ms message to action at R/s".
#   ./bench.sh reactions [--joins N] [--messages M]: a live burst of N joins (10,000) and M messages (50,000) in 20
#     communities through the real processor with the joining ritual, auto-replies and response tracking on, on SQLite,
#     against the same burst with them off; then the welcomes counted per community.
#     Last line: "reactions: N events/s, W welcome per burst".
#   ./bench.sh schedule [--posts N] [--communities C] [--window S] [--hosts H] [--Posts:BatchSize B] [--sqlite-only]
#     N approved posts (10,000), one copy each over C Sandbox communities (2,000), all due within one minute (S = 60 s),
#     handed to the outbox by the real post scheduler (the dispatcher is off: the hand-over is measured, not the
#     platform's send rate), on SQLite and then by H (2) hosts side by side on a throwaway PostgreSQL (skipped with
#     --sqlite-only); copies lost or handed over twice are counted; plain EF inserts of as many actions are the floor.
#     Last line: "schedule: N posts, last X s late, D sent twice (2 hosts on PostgreSQL: D sent twice)".
#   ./bench.sh flashsale [--claimants N] [--stock S] [--in-flight F] [--seconds T] [--connections C] [--sqlite-only]
#     A flash sale (stock S = 100, one per person) in a Sandbox community of N members (10,000); after a rehearsal sale's
#     burst of 4,000 claimants that warms each server (not counted), every member claims once over HTTP against the built server (F = 512 in flight), with double clicks and replays, on SQLite and then with two
#     servers on one throwaway PostgreSQL (skipped with --sqlite-only); the database is checked for oversold units and
#     persons over the limit. Then the public page under wrk (T = 10 s, C = 64 connections). wrk is installed if missing.
#     Last line: "flashsale: N claims/s, S/S sold, 0 oversold, 0 over limit, 2 hosts on PostgreSQL: S/S sold, 0 oversold, page N views/s p99 X ms".
#   ./bench.sh livecode [--seconds T] [--connections C] [--communities N] [--cap K] [--rounds R] [--sqlite-only]
#     A live code's short link without a landing page over N (20) Sandbox communities of K (2,000) seats under wrk
#     (T = 10 s, C = 64 connections), every request from its own address (X-Forwarded-For from loopback) against the
#     built server on SQLite, then two servers on one throwaway PostgreSQL (skipped with --sqlite-only); the database is
#     checked for scans lost and communities routed past their cap; then a landing page under the same load. Then the
#     security headers' and rate limits' cost: a server as configured and one with both off (Security:Headers:Enabled and
#     Security:RateLimits:Enabled false), each on its own fresh SQLite database, take R (5) alternated rounds of T/2 s.
#     Last line: "livecode: N redirects/s, p99 X ms, 0 over cap, 0 lost, 2 hosts on PostgreSQL: …, landing N views/s p99 X ms, security on/off Q".
#   ./bench.sh analytics [--communities C] [--members M] [--orders O] [--days D] [--raw-messages R] [--iterations N] [--step-seconds T] [--unflagged] [--sqlite-only]
#     A large workspace written by batched inserts into the migrated schema (C = 1,000 communities, M = 200,000 members
#     with joins, leaves and rejoins over D = 365 days, their daily figures and speakers, O = 1,000,000 orders, R = 100,000
#     raw messages in 10 sample communities; nicknames, rule sets, questions, campaigns, channels and costs for the advisor,
#     its nickname flags filled unless --unflagged), then the workspace overview, one community's 90 days and the cohort table
#     read through the app's own code N (200) times each (at most T = 60 s a path, at least 10 reads) on SQLite and then a throwaway PostgreSQL (skipped with
#     --sqlite-only), and the advisor as whole runs over the workspace (goal 2 s); again with ten times the raw messages.
#     Smaller sizes for a quick run: --members 20000 --orders 100000. --keep DIR (with --sqlite-only) keeps the generated
#     workspace in DIR; --reuse DIR measures it again without generating (neither measures the ×10 raw volume).
#     --postgres-only skips SQLite (a throwaway PostgreSQL only).
#     Last line: "analytics: overview p95 X ms, community p95 X ms, cohorts p95 X ms, advisor X s, 10x-volume ratio R (PostgreSQL: …)".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
data=${SHEQUN_DATA:-$root/../shared/data}

usage() { echo "usage: ./bench.sh moderation [--seconds N] | ingest [--events N] [--rate R] [--synchronous Full|Normal] [--postgres] | webhook [--seconds S] [--rate R] [--rounds N] | dispatch [--actions N] [--chats C] [--global-per-second G] [--postgres] | enforce [--messages N] [--rate R] [--seconds S] | reactions [--joins N] [--messages M] | schedule [--posts N] [--communities C] [--window S] [--sqlite-only] | flashsale [--claimants N] [--stock S] [--sqlite-only] | livecode [--seconds T] [--connections C] [--rounds R] [--sqlite-only] | analytics [--communities C] [--members M] [--orders O] [--days D] [--sqlite-only]" >&2; exit 2; }
[ $# -ge 1 ] || usage
what=$1; shift

case "$what" in
  moderation)
    dotnet build bench/Shequn.Benchmarks -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    # The figures are per thread (one core). No pinning: on a shared machine a pinned core may be the busy one.
    DOTNET_TieredPGO=1 dotnet bench/Shequn.Benchmarks/bin/Release/net10.0/Shequn.Benchmarks.dll moderation --data "$data" "$@"
    ;;
  ingest)
    args=(); pg=false
    for a in "$@"; do if [ "$a" = "--postgres" ]; then pg=true; else args+=("$a"); fi; done
    dotnet build bench/Shequn.Ingest -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    pgdir=""
    cleanup() {
      if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
      fi
    }
    trap cleanup EXIT
    if [ "$pg" = true ]; then
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
      [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found" >&2; exit 1; }
      pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      # Durable settings (fsync on, synchronous_commit on): the ingest acknowledges only what is on disk.
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=100" start >/dev/null
      args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
    fi
    dotnet bench/Shequn.Ingest/bin/Release/net10.0/Shequn.Ingest.dll "${args[@]}"
    ;;
  webhook)
    if ! command -v wrk >/dev/null 2>&1; then
      echo "installing wrk (apt-get)…" >&2
      apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
    fi
    dotnet build bench/Shequn.Webhook -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet bench/Shequn.Webhook/bin/Release/net10.0/Shequn.Webhook.dll "$@"
    ;;
  dispatch)
    args=(); pg=false
    for a in "$@"; do if [ "$a" = "--postgres" ]; then pg=true; else args+=("$a"); fi; done
    dotnet build src/Shequn -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet build bench/Shequn.Dispatch -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    if [ "$pg" = true ]; then
      # The shared server of the tests if there is one, else a throwaway one as for ingest.
      if [ -n "${SHEQUN_TEST_PG:-}" ]; then
        args+=(--postgres "$SHEQUN_TEST_PG")
      else
        pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found" >&2; exit 1; }
        pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
        trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
          -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=100" start >/dev/null
        args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
      fi
    fi
    dotnet bench/Shequn.Dispatch/bin/Release/net10.0/Shequn.Dispatch.dll --app src/Shequn/bin/Release/net10.0/Shequn.dll "${args[@]}"
    ;;
  enforce)
    dotnet build bench/Shequn.Enforce -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet bench/Shequn.Enforce/bin/Release/net10.0/Shequn.Enforce.dll "$@"
    ;;
  reactions)
    dotnet build bench/Shequn.Reactions -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet bench/Shequn.Reactions/bin/Release/net10.0/Shequn.Reactions.dll "$@"
    ;;
  schedule)
    args=(); pg=true
    for a in "$@"; do if [ "$a" = "--sqlite-only" ]; then pg=false; else args+=("$a"); fi; done
    dotnet build bench/Shequn.Schedule -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    pgdir=""
    cleanup() {
      if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
      fi
    }
    trap cleanup EXIT
    if [ "$pg" = true ]; then
      # A throwaway server, as for ingest (durable settings), that both hosts of the bench share.
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
      [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found (use --sqlite-only)" >&2; exit 1; }
      pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=100" start >/dev/null
      args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
    fi
    dotnet bench/Shequn.Schedule/bin/Release/net10.0/Shequn.Schedule.dll "${args[@]}"
    ;;
  flashsale)
    args=(); pg=true
    for a in "$@"; do if [ "$a" = "--sqlite-only" ]; then pg=false; else args+=("$a"); fi; done
    if ! command -v wrk >/dev/null 2>&1; then
      echo "installing wrk (apt-get)…" >&2
      apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
    fi
    dotnet build src/Shequn -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet build bench/Shequn.FlashSale -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    pgdir=""
    cleanup() {
      if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
      fi
    }
    trap cleanup EXIT
    if [ "$pg" = true ]; then
      # A throwaway server with durable settings that both app servers share.
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
      [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found (use --sqlite-only)" >&2; exit 1; }
      pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=200" start >/dev/null
      args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
    fi
    dotnet bench/Shequn.FlashSale/bin/Release/net10.0/Shequn.FlashSale.dll --app src/Shequn/bin/Release/net10.0/Shequn.dll "${args[@]}"
    ;;
  livecode)
    args=(); pg=true
    for a in "$@"; do if [ "$a" = "--sqlite-only" ]; then pg=false; else args+=("$a"); fi; done
    if ! command -v wrk >/dev/null 2>&1; then
      echo "installing wrk (apt-get)…" >&2
      apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
    fi
    dotnet build src/Shequn -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    dotnet build bench/Shequn.LiveCode -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    pgdir=""
    cleanup() {
      if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
      fi
    }
    trap cleanup EXIT
    if [ "$pg" = true ]; then
      # A throwaway server with durable settings that both app servers share.
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
      [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found (use --sqlite-only)" >&2; exit 1; }
      pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=200" start >/dev/null
      args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
    fi
    dotnet bench/Shequn.LiveCode/bin/Release/net10.0/Shequn.LiveCode.dll --app src/Shequn/bin/Release/net10.0/Shequn.dll "${args[@]}"
    ;;
  analytics)
    args=(); pg=true
    for a in "$@"; do if [ "$a" = "--sqlite-only" ]; then pg=false; else args+=("$a"); fi; done
    dotnet build bench/Shequn.Analytics -c Release -nologo -v quiet -clp:ErrorsOnly >&2
    pgdir=""
    cleanup() {
      if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
      fi
    }
    trap cleanup EXIT
    if [ "$pg" = true ]; then
      # A throwaway server with durable settings, as for the other benches.
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
      [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found (use --sqlite-only)" >&2; exit 1; }
      pgdir=$(mktemp -d /tmp/shequn-bench-pg.XXXXXX); chown postgres "$pgdir"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir -c max_connections=100" start >/dev/null
      args+=(--postgres "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
    fi
    dotnet bench/Shequn.Analytics/bin/Release/net10.0/Shequn.Analytics.dll "${args[@]}"
    ;;
  *) usage ;;
esac
