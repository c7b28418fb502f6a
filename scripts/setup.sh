#!/usr/bin/env bash
# Creates .venv and installs the project with its test dependencies, and (as root, with apt-get) the system
# packages the app needs: LibreOffice and its Python bridge for letters as PDF, poppler's PDF tools, and fonts
# with the metrics of Word's default ones (Calibri, Cambria, Arial, Times New Roman), so a letter converted to
# PDF breaks its lines and pages where Word does; and HarfBuzz's subsetter, with which WeasyPrint cuts the fonts
# it embeds in a printed document in C (without it fontTools does, in Python: several times slower,
# docs/DEPLOY.md). EXTRA_SYSTEM_PACKAGES adds more (scripts/test.sh: Chromium).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086
bash scripts/system_packages.sh libreoffice-writer-nogui python3-uno poppler-utils \
  fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2 fonts-dejavu-core libharfbuzz-subset0 \
  ${EXTRA_SYSTEM_PACKAGES:-}
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
