from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, home_files, operation

NAMES = (
    ".aws", ".kube", ".docker/config.json", ".git-credentials", ".netrc", ".pgpass", ".my.cnf",
    ".npmrc", ".pypirc", ".config/gcloud", ".azure", ".gnupg", ".vault-token",
    ".terraform.d/credentials.tfrc.json",
)  # fmt: skip


@operation(
    "user-credentials",
    profiles=EXTENDED,
    removes="every user's cloud and tool credentials: ~/.aws, ~/.kube, ~/.docker/config.json, "
    "~/.git-credentials, ~/.netrc, ~/.pgpass, ~/.my.cnf, ~/.npmrc, ~/.pypirc, gcloud, azure, "
    "gnupg, vault and terraform tokens",
    verified_by=home_files.none_in_homes(*NAMES),
)
def user_credentials(ctx: SanitizeContext) -> None:
    """Remove credentials that users and tools left in their home folders."""
    home_files.remove_in_homes(ctx, NAMES)
