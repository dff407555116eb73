#!/usr/bin/env bash
# Debian packages the tests use to make their attachment fixtures: zip (ZipCrypto archives),
# 7-Zip (AES archives), qpdf (encrypted PDFs), LibreOffice without a GUI (docx, xlsx, odt, ods,
# pdf from text).
set -euo pipefail
packages=(zip p7zip-full qpdf libreoffice-writer-nogui libreoffice-calc-nogui)
missing=()
for tool in zip 7z qpdf soffice; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}" || {
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
}
