#!/usr/bin/env bash
# Installs the Debian packages named in the arguments that are not installed yet: one `apt-get update` and one
# `apt-get install` for all of them, quietly. Only as root on a machine with apt-get; anywhere else it says
# what is missing and what will not work, and succeeds (the app and the tests run without them).
set -euo pipefail
missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Not installed, and cannot be installed here (needs root and apt-get): ${missing[*]}." >&2
  echo "Without LibreOffice letters are offered as .docx only (no PDF); without Chromium the browser tests are skipped." >&2
fi
