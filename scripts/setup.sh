#!/usr/bin/env bash
# Installs what imagewright and its tests need on Debian 12, as root: system packages, a virtual
# environment in .venv and the package itself (editable, with the development extras).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    python3 python3-venv python3-pip
    mmdebstrap debian-archive-keyring arch-test uidmap
    e2fsprogs xfsprogs btrfs-progs dosfstools fdisk gdisk parted kpartx zerofree
    mount util-linux coreutils attr acl libarchive-tools tar zstd xz-utils
    qemu-utils qemu-system-x86 ovmf grub-pc-bin grub-efi-amd64-bin mtools
    openssh-client ca-certificates curl putty-tools
    chromium rpm bzip2 gzip openssl
)

if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/setup.sh must run as root (it installs packages and builds images)" >&2
    exit 2
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # A third-party source that cannot be reached must not stop the Debian packages.
    apt-get update || true
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
