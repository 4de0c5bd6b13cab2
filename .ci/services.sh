#!/usr/bin/env bash
# Install (Debian packages) PostgreSQL, Redis and Chromium (browser tests), and start the two
# servers on loopback; idempotent.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

ver=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -q && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='cxc'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE cxc LOGIN SUPERUSER PASSWORD 'cxc'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='cxc_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O cxc cxc_test"

redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" --appendonly no
for _ in $(seq 1 30); do
  redis-cli -p 6379 ping >/dev/null 2>&1 && break
  sleep 0.5
done
echo "services: postgresql $ver and redis up on 127.0.0.1"
