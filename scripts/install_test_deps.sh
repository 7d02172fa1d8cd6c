#!/bin/sh
# Installs what the test suite needs beyond pip: Debian's Chromium and ChromeDriver for the
# browser tests. Idempotent; does nothing when they are already there.
set -e
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
if [ -n "$need" ]; then
  echo "Installing Debian packages:$need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
