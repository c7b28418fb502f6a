#!/usr/bin/env bash
# One command: install, migrate, seed demo data, print the logins and start the app on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DEBUG=${DEBUG:-true}
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py seed_demo --contacts "${DEMO_CONTACTS:-2000}" --entries "${DEMO_ENTRIES:-5000}"
echo
echo "Open http://127.0.0.1:${PORT}/ and log in as marketer / demo (or admin, seller, viewer — password demo)."
echo
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
