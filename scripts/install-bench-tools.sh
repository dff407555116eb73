#!/usr/bin/env bash
# Debian packages `npm run bench` needs beyond the test tools: postfix's smtp-sink (the
# downstream smarthost the relay bench delivers to). Postfix itself is installed unconfigured
# and not started.
set -euo pipefail
bash "$(dirname "$0")/install-test-tools.sh"
[ -x /usr/sbin/smtp-sink ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends postfix || {
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends postfix
}
