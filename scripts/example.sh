#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/imagewright toe run --documents examples/components/hello.yml \
    --log-directory "${IMAGEWRIGHT_LOG_DIRECTORY:-/tmp/imagewright-example}"
