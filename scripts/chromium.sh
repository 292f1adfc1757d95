#!/bin/sh
# Debian's Chromium for the browser tests (Playwright drives it: its own browser download
# needs more than the package registries). Installs it when it is missing, which needs root.
set -e
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/chromium.sh: install Debian's chromium package (as root: apt-get install -y chromium)" >&2
    exit 1
fi
apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }
