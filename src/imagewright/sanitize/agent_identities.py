from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/salt/minion_id",
    "/etc/salt/pki/minion/*",
    "/etc/chef/client.pem",
    "/var/ossec/etc/client.keys",
)


@operation(
    "agent-identities",
    profiles=EXTENDED,
    removes="Salt minion id and keys, Chef client key, Wazuh agent keys",
    verified_by=none_left(*PATTERNS),
)
def agent_identities(ctx: SanitizeContext) -> None:
    """Remove configuration-management agents' identities and keys."""
    ctx.delete(*PATTERNS)
