#!/bin/sh
# Installs what the test suite needs beyond pip: Debian's Chromium and ChromeDriver for the
# browser tests, npm and axe-core for the accessibility tests. Idempotent; does nothing when
# they are already there.
set -e
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v ogrinfo >/dev/null 2>&1 || need="$need gdal-bin"  # OGC API client tests
if [ -n "$need" ]; then
  echo "Installing Debian packages:$need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
# axe-core (pinned in package.json / package-lock.json) for the accessibility tests.
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "Installing Debian package: npm"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
  fi
  npm ci --no-audit --no-fund --silent
fi
