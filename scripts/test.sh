#!/usr/bin/env bash
# One command: install everything (Python packages, and when we may install system packages LibreOffice for
# letters as PDF and Chromium for the browser tests) and run the whole test suite. Uses SQLite, or the database
# DATABASE_URL names.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=""
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  extra="chromium"
fi
EXTRA_SYSTEM_PACKAGES="$extra" bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
