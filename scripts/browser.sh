#!/usr/bin/env bash
# The UI test drives a real headless Chromium; install Debian's chromium and chromedriver when missing.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "chromium and chromedriver are missing; install them (Debian: apt-get install chromium chromium-driver)" >&2
    exit 1
fi
echo "Installing chromium and chromedriver for the browser test" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
