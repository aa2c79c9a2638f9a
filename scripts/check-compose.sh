#!/usr/bin/env bash
# Validates docker-compose.yml offline (no Docker engine needed) with placeholder secrets, and
# shows that it refuses to start without them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$root/docker-compose.yml" "$tmp/"
sed -e 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=placeholder/' \
    -e 's/^JWT_SECRET=$/JWT_SECRET=placeholder-placeholder-placeholder-32/' "$root/.env.example" > "$tmp/.env"
(cd "$tmp" && docker-compose -f docker-compose.yml config -q)
: > "$tmp/.env"
if (cd "$tmp" && docker-compose -f docker-compose.yml config -q 2>/dev/null); then
  echo "docker-compose.yml must refuse to start without POSTGRES_PASSWORD and JWT_SECRET" >&2
  exit 1
fi
echo "docker-compose.yml is valid"
