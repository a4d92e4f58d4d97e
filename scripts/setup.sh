#!/usr/bin/env bash
# Install everything World Director needs into ./.venv (idempotent; fast when already done).
#   scripts/setup.sh        runtime: Python package + front-end assets
#   scripts/setup.sh --dev  also test tools and Debian's Chromium for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.wd-installed-$DEV
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  if [ "$DEV" = 1 ]; then .venv/bin/pip install -q -e ".[dev]"; else .venv/bin/pip install -q -e .; fi
  # scenedetect drags a second OpenCV build in; ours is opencv-python-headless. analysis/shots.py
  # computes ContentDetector's scores itself and uses 0.7's FlashFilter: keep the pin in step.
  .venv/bin/pip install -q --no-deps "scenedetect>=0.7,<0.8"
  touch "$stamp"
fi

# Front-end libraries come from npm and are served by our own server (no CDN at run time).
if [ -f web/package.json ]; then
  if [ ! -d web/node_modules ] || [ web/package.json -nt web/node_modules ]; then
    echo "==> installing front-end packages"
    (cd web && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)
  fi
  node web/vendor.mjs
fi

if [ "$DEV" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian's Chromium for browser tests"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
