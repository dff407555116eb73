#!/usr/bin/env bash
# Debian packages the tests use to make their attachment fixtures: zip (ZipCrypto archives),
# 7-Zip (AES archives), qpdf (encrypted PDFs), LibreOffice without a GUI (docx, xlsx, odt, ods,
# pdf from text) and its Python UNO bridge (saving with a password), OpenSSL and GnuPG
# (S/MIME and PGP messages). Chromium drives the review queue's browser tests (playwright-core).
set -euo pipefail
packages=(zip p7zip-full qpdf openssl gnupg libreoffice-writer-nogui libreoffice-calc-nogui python3-uno chromium)
missing=()
for tool in zip 7z qpdf openssl gpg soffice chromium; do command -v "$tool" >/dev/null || missing+=("$tool"); done
/usr/bin/python3 -c 'import uno' 2>/dev/null || missing+=(python3-uno)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}" || {
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
}
