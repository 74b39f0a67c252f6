#!/usr/bin/env bash
# The web UI tests drive Debian's headless Chromium (Playwright with executable_path).
# Installs it with apt-get when /usr/bin/chromium is missing; does nothing otherwise.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
test -x /usr/bin/chromium
