#!/usr/bin/env bash
# Set up (first time, including test tools and Chromium) and run the whole test suite.
# Tests that need PostgreSQL (127.0.0.1:5432, database test) or Redis (127.0.0.1:6379) skip loudly
# when those are unreachable; with WD_REQUIRE_SERVICES=1 (as in CI) they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
