from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

HOST_KEYS = tuple(
    f"/etc/ssh/ssh_host_{kind}_key{suffix}"
    for kind in ("rsa", "ecdsa", "ed25519")
    for suffix in ("", ".pub")
)
SEED_AUTHORIZED_KEYS = ("/root/.ssh/authorized_keys", "/home/ec2-user/.ssh/authorized_keys")
ALL_AUTHORIZED_KEYS = "/home/*/.ssh/authorized_keys"


@operation(
    "ssh-files",
    profiles=SEED,
    removes="RSA, ECDSA and ED25519 SSH host keys, root's and every /home user's authorized_keys",
    verified_by=none_left(*HOST_KEYS, *SEED_AUTHORIZED_KEYS, ALL_AUTHORIZED_KEYS),
    skip_marker="skip_cleanup_ssh_files",
    order=30,
)
def ssh_files(ctx: SanitizeContext) -> None:
    """Remove SSH host keys and the SSH keys allowed to log in."""
    ctx.delete(*HOST_KEYS, *SEED_AUTHORIZED_KEYS)
    for path in ctx.glob(ALL_AUTHORIZED_KEYS):
        if str(path) not in SEED_AUTHORIZED_KEYS:
            ctx.delete(str(path))
