from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/root/anaconda-ks.cfg",
    "/root/original-ks.cfg",
    "/root/initial-setup-ks.cfg",
    "/root/anaconda-post.log",
    "/root/install.log",
    "/root/install.log.syslog",
    "/var/log/installer/*",
    "/var/log/anaconda/*",
    "/var/log/anaconda.syslog",
)


@operation(
    "installer-files",
    profiles=EXTENDED,
    removes="kickstart files in /root, /var/log/installer/*, /var/log/anaconda/*",
    verified_by=none_left(*PATTERNS),
)
def installer_files(ctx: SanitizeContext) -> None:
    """Remove installer answers and logs, which can hold password hashes."""
    ctx.delete(*PATTERNS)
