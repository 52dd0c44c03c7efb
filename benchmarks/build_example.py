"""Build of the example recipe, cold (empty state folder) and warm (cached base), against
mmdebstrap alone making a root with the same packages: the floor a from-scratch build cannot
beat. The boot test is left out (it measures qemu under TCG, not the pipeline).

Run as root: .venv/bin/python benchmarks/build_example.py
Goals: cold <= 2x mmdebstrap, warm <= 30 s.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from imagewright.images.debian import mmdebstrap
from imagewright.log import setup_logging
from imagewright.pipeline.bases import DEBIAN_BOOT_PACKAGES
from imagewright.pipeline.build import build

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "debian-12-hardened"


def main() -> None:
    setup_logging(quiet=True)
    logging.getLogger("imagewright").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="imagewright-bench-", dir="/var/tmp") as scratch:
        folder = Path(scratch)
        recipe = folder / "recipe.yml"
        text = (EXAMPLE / "recipe.yml").read_text().replace("boot: true", "boot: false")
        recipe.write_text(text.replace("path: components/", f"path: {EXAMPLE}/components/"))

        started = time.monotonic()
        mmdebstrap(folder / "floor.tar", suite="bookworm", packages=DEBIAN_BOOT_PACKAGES)
        floor = time.monotonic() - started
        (folder / "floor.tar").unlink()

        state = folder / "state"
        started = time.monotonic()
        build(recipe, state_directory=state, output_dir=folder / "cold")
        cold = time.monotonic() - started

        started = time.monotonic()
        warm_result = build(recipe, state_directory=state, output_dir=folder / "warm")
        warm = time.monotonic() - started

    print(f"mmdebstrap alone (same packages): {floor:7.1f} s")
    print(f"imagewright build, cold:          {cold:7.1f} s   {cold / floor:4.2f}x mmdebstrap"
          f"   (goal <= 2x)")  # fmt: skip
    print(f"imagewright build, warm:          {warm:7.1f} s   {warm / floor:4.2f}x mmdebstrap"
          f"   (goal <= 30 s)")  # fmt: skip
    print("warm build stages:")
    for title, seconds, _ in warm_result.timings:
        print(f"  {seconds:6.1f} s  {title}")


if __name__ == "__main__":
    main()
