#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the shipped example components on this machine. They only
# write below $WORK (the login banner goes to a scratch root there, not to /etc).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
WORK="${IMAGEWRIGHT_LOG_DIRECTORY:-/tmp/imagewright-example}"
.venv/bin/imagewright toe validate --documents examples/components/hello.yml,examples/components/login-banner.yml
exec .venv/bin/imagewright toe run \
    --config /dev/stdin --log-directory "$WORK" <<JSON
{
  "documents": [
    {"path": "examples/components/hello.yml",
     "parameters": [{"name": "WorkDir", "value": "$WORK/hello"}]},
    {"path": "examples/components/login-banner.yml",
     "parameters": [{"name": "Root", "value": "$WORK/banner-root"}]}
  ],
  "phases": "build,validate"
}
JSON
