from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FILE = "/var/lib/systemd/random-seed"


@operation(
    "random-seed",
    profiles=SEED,
    removes="systemd's saved random seed /var/lib/systemd/random-seed",
    verified_by=none_left(FILE),
    order=95,
)
def random_seed(ctx: SanitizeContext) -> None:
    """Remove the saved random seed so clones do not start from the same entropy."""
    ctx.delete(FILE)
