#!/usr/bin/env bash
# Start PostgreSQL (Debian's cluster, as user postgres) and Redis (as user redis) on 127.0.0.1 for
# the shared-study search tests, and write their URLs to .ci/servers.env (sourced by .ci/run).
# Idempotent: a server already running is reused. Needs root (pg_ctlcluster, runuser).
set -uo pipefail
cd "$(dirname "$0")/.."
: > .ci/servers.env
if command -v pg_lsclusters >/dev/null; then
  read -r ver name port _ < <(pg_lsclusters --no-header | head -1)
  if [ -n "${ver:-}" ]; then
    pg_ctlcluster "$ver" "$name" start 2>/dev/null || true
    for _ in $(seq 30); do runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
    runuser -u postgres -- psql -q -p "$port" -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='machop')
      THEN CREATE ROLE machop LOGIN PASSWORD 'machop'; END IF; END\$\$;" \
      && { runuser -u postgres -- psql -p "$port" -lqt | cut -d'|' -f1 | grep -qw machop \
           || runuser -u postgres -- createdb -p "$port" -O machop machop; } \
      && echo "export MACHOP_TEST_POSTGRES_URL=postgresql://machop:machop@127.0.0.1:$port/machop" >> .ci/servers.env \
      || echo "warning: PostgreSQL did not start"
  fi
fi
if command -v redis-server >/dev/null; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    runuser -u redis -- redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp || true
    for _ in $(seq 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
    && echo "export MACHOP_TEST_REDIS_URL=redis://127.0.0.1:6379/15" >> .ci/servers.env \
    || echo "warning: Redis did not start"
fi
cat .ci/servers.env
