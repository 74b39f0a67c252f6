#!/usr/bin/env bash
# tests/api/test_metrics.py lints /metrics with `promtool check metrics`, from Debian's `prometheus`
# package. Installs it with apt-get when promtool is missing; does nothing otherwise.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
# Only its promtool is wanted: on a host booted with systemd the package also starts a server.
if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null
