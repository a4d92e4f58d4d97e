#!/usr/bin/env bash
# Set up (first time) and start World Director on http://127.0.0.1:5001 with embedded defaults:
# SQLite, local disk, in-process workers, the offline generator and the offline model layer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/worlddirector serve "$@"
