#!/usr/bin/env bash
# One command: install everything (Python packages, and Chromium for the browser tests when we may install
# system packages) and run the whole test suite. Uses SQLite, or the database DATABASE_URL names.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is not installed and cannot be installed here: browser tests will be skipped." >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
