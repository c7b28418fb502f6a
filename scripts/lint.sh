#!/usr/bin/env bash
# Lint, formatting and the type check, as CI runs them (after scripts/setup.sh):
# - ruff check and ruff format --check over the repository;
# - mypy (with django-stubs) over the apps, against mypy-baseline.txt: the errors known when the check was
#   introduced. A new error fails, and so does a fixed one still listed (run `scripts/lint.sh --sync` to take it
#   out), so the list only shrinks.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
status=0
.venv/bin/mypy --no-color-output > .mypy-output.txt 2>&1 || status=$?
if [ "$status" -gt 1 ]; then
  cat .mypy-output.txt
  echo "mypy itself failed (exit status $status)." >&2
  exit "$status"
fi
if [ "${1:-}" = "--sync" ]; then
  .venv/bin/mypy-baseline sync --sort-baseline < .mypy-output.txt
else
  .venv/bin/mypy-baseline filter --no-colors --sort-baseline < .mypy-output.txt
fi
rm -f .mypy-output.txt
