#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and builds the shipped example image: Debian 12, updated, hardened
# sshd, a passwordless admin user, tested (components' test phases and a boot under qemu).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
output="${IMAGEWRIGHT_EXAMPLE_OUTPUT:-/tmp/imagewright-example}"
.venv/bin/imagewright build examples/debian-12-hardened/recipe.yml --output-dir "$output"
echo
echo "The image and its reports are in $output:"
echo "  images:       debian-12-hardened-1.0.0-N.raw and .qcow2 (checksums: ...-N.SHA256SUMS)"
echo "  test results: debian-12-hardened-1.0.0-N.tests.xml (JUnit)"
echo "  logs:         debian-12-hardened-1.0.0-N.logs/ (build.log, sanitize.json, boot-console.log,"
echo "                TOE_* folders of every component)"
echo "  (N is the build number printed above; 'imagewright images list' shows the catalog)"
echo "  catalog:      .venv/bin/imagewright images list"
