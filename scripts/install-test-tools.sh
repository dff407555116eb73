#!/usr/bin/env bash
# Debian packages the tests use to make their attachment fixtures: zip (ZipCrypto archives),
# 7-Zip (AES archives), qpdf (encrypted PDFs), LibreOffice without a GUI (docx, xlsx, odt, ods,
# pdf from text) and its Python UNO bridge (saving with a password), OpenSSL and GnuPG
# (S/MIME and PGP messages). Chromium drives the review queue's browser tests (playwright-core).
# PostgreSQL's server binaries (initdb, pg_ctl) start a throwaway cluster for the quarantine tests
# when no server answers at 127.0.0.1:5432 (test/support/postgres-global-setup.ts).
# `npm test` runs this first (pretest): with everything present it checks and exits at once.
set -euo pipefail
packages=(zip p7zip-full qpdf openssl gnupg libreoffice-writer-nogui libreoffice-calc-nogui python3-uno chromium)
missing=()
for tool in zip 7z qpdf openssl gpg soffice chromium; do command -v "$tool" >/dev/null || missing+=("$tool"); done
/usr/bin/python3 -c 'import uno' 2>/dev/null || missing+=(python3-uno)
postgres_bin=
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && postgres_bin=$dir; done
[ -z "$postgres_bin" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null && postgres_bin=path
[ -z "$postgres_bin" ] && missing+=(postgresql) && packages+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}" || {
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
}
