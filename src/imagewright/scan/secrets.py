"""Secret rules: each declared once with its ID, title, severity, patterns and remediation.

A pattern is a Python regular expression over bytes with a `(?P<secret>...)` group, the value
that is redacted into the evidence. The same text (with the group made plain) is compiled into
one hyperscan database for all rules; hyperscan says which rules occur in a buffer and Python's
`re` then extracts the occurrences of those rules only. `detect` replaces a pattern for the
multi-pattern pass where the full pattern spans lines (private keys).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from imagewright.findings import Severity
from imagewright.registry import Registry
from imagewright.scan.keys import is_pem_private_key, is_putty_private_key

Validator = Callable[[bytes], bool]


@dataclass(frozen=True, slots=True)
class SecretRule:
    name: str
    title: str
    severity: Severity
    patterns: tuple[bytes, ...]
    remediation: str
    # Only files whose image path matches one of these shell patterns (`*` spans folders);
    # such rules are not applied to raw disk blocks, where there is no path.
    paths: tuple[str, ...] = ()
    caseless: bool = False
    validate: Validator | None = None
    detect: bytes | None = None
    # A generic rule (keyword = value, URL passwords) gives way to a specific one where both
    # match the same bytes, so an API key in a config file is reported as that API key.
    generic: bool = False


SECRET_RULES: Registry[SecretRule] = Registry("secret rule")


def secret_rule(
    name: str,
    title: str,
    severity: Severity,
    patterns: tuple[str, ...] | str,
    remediation: str,
    *,
    paths: tuple[str, ...] = (),
    caseless: bool = False,
    validate: Validator | None = None,
    detect: str | None = None,
    generic: bool = False,
) -> SecretRule:
    compiled = (patterns,) if isinstance(patterns, str) else patterns
    return SECRET_RULES.add(
        SecretRule(
            name,
            title,
            severity,
            tuple(p.encode() for p in compiled),
            remediation,
            paths,
            caseless,
            validate,
            detect.encode() if detect else None,
            generic,
        )
    )


# Values that configuration files and documentation use in place of a real secret.
_PLACEHOLDER = re.compile(
    rb"^(?:[$%<{\[(@]|.*\$\{|.*\{\{|.*%\(|(?i:password|passwd|secret|changeit|example\w*|"
    rb"x+|\*+|none|null|true|false|yes|no|required|optional|undefined|your[\w-]*|"
    rb"\w*placeholder\w*|redacted|hidden|dummy|test|tbd|todo|fixme|"
    # the metasyntactic names of examples (`http://user:pass@host`, `foo:bar@`)
    rb"pass|pw|foo|bar|baz|qux|quux|foobar)$)"
)


def not_placeholder(value: bytes) -> bool:
    stripped = value.strip(b"\"'")
    return len(set(stripped)) > 2 and _PLACEHOLDER.match(stripped) is None


def _not_aws_example(value: bytes) -> bool:
    return not value.endswith(b"EXAMPLE") and not value.endswith(b"EXAMPLEKEY")


def _is_jwt(value: bytes) -> bool:
    header = value.split(b".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + b"=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _is_docker_auth(value: bytes) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(b":")
    return bool(sep and user and not_placeholder(password))


CONFIG_FILES = (
    "*.conf",
    "*.cfg",
    "*.cnf",
    "*.ini",
    "*.env",
    "*/.env",
    "*/.env.*",
    "*.properties",
    "*.toml",
    "*.yaml",
    "*.yml",
    "*.json",
    "*.xml",
    "/etc/*",
    "*/.my.cnf",
    "*/.pgpass",
    "*/.boto",
    "*/.s3cfg",
)
HISTORY_FILES = ("*_history", "*/.history", "*/.*history")
ROTATE = "Revoke or rotate it at its issuer, then rebuild the image without it"
SECRET_STORE = "; keep it in AWS Secrets Manager or SSM Parameter Store and fetch it at run time"  # noqa: S105

secret_rule(
    "aws-access-key-id",
    "AWS access key ID",
    Severity.critical,
    r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16})\b",
    f"Deactivate the access key in IAM. {ROTATE}; use an instance profile instead of keys",
    validate=_not_aws_example,
)
secret_rule(
    "aws-secret-access-key",
    "AWS secret access key",
    Severity.critical,
    # explicit spellings instead of a caseless pattern: 2-3 times faster in hyperscan
    r"(?:[Ss]ecret_?[Aa]ccess_?[Kk]ey|SECRET_?ACCESS_?KEY)[\"']?\s*[:=]\s*[\"']?"
    r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    f"Deactivate the key pair in IAM. {ROTATE}; use an instance profile instead of keys",
    validate=lambda v: not v.endswith(b"EXAMPLEKEY"),
    detect=r"(?:[Ss]ecret_?[Aa]ccess_?[Kk]ey|SECRET_?ACCESS_?KEY)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}",
)
secret_rule(
    "gcp-service-account",
    "Google Cloud service account key",
    Severity.critical,
    r"(?P<secret>\"type\"\s*:\s*\"service_account\")",
    f"Delete the key in Google Cloud IAM. {ROTATE}; use workload identity federation",
)
secret_rule(
    "gcp-api-key",
    "Google API key",
    Severity.high,
    r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})\b",
    f"Delete or restrict the key in the Google Cloud console. {ROTATE}",
)
secret_rule(
    "azure-storage-account-key",
    "Azure storage account key",
    Severity.critical,
    r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    f"Rotate the storage account key in Azure. {ROTATE}{SECRET_STORE}",
)
secret_rule(
    "azure-sas-token",
    "Azure shared access signature",
    Severity.high,
    r"[?&]sv=\d{4}-\d\d-\d\d&[^\s\"'<>]*?sig=(?P<secret>[A-Za-z0-9%+/]{40,}={0,2})",
    f"Revoke the SAS (rotate the signing key or remove the stored access policy). {ROTATE}",
)
secret_rule(
    "azure-entra-client-secret",
    "Azure Entra ID client secret",
    Severity.critical,
    r"(?:^|[\s\"'=:])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:$|[\s\"',;])",
    f"Delete the client secret of the app registration. {ROTATE}",
)
secret_rule(
    "github-pat",
    "GitHub personal access token",
    Severity.critical,
    r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
    f"Revoke the token in GitHub's developer settings. {ROTATE}",
)
secret_rule(
    "github-fine-grained-pat",
    "GitHub fine-grained personal access token",
    Severity.critical,
    r"\b(?P<secret>github_pat_[A-Za-z0-9_]{82})\b",
    f"Revoke the token in GitHub's developer settings. {ROTATE}",
)
secret_rule(
    "github-oauth",
    "GitHub OAuth access token",
    Severity.critical,
    r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
    f"Revoke the OAuth app authorization in GitHub. {ROTATE}",
)
secret_rule(
    "github-app-token",
    "GitHub App token",
    Severity.critical,
    r"\b(?P<secret>(?:ghu|ghs)_[A-Za-z0-9]{36})\b",
    f"Revoke the installation token or rotate the App's private key. {ROTATE}",
)
secret_rule(
    "github-refresh-token",
    "GitHub refresh token",
    Severity.critical,
    r"\b(?P<secret>ghr_[A-Za-z0-9]{36,76})\b",
    f"Revoke the OAuth authorization in GitHub. {ROTATE}",
)
secret_rule(
    "gitlab-pat",
    "GitLab personal access token",
    Severity.critical,
    r"\b(?P<secret>glpat-[A-Za-z0-9_\-]{20,})\b",
    f"Revoke the token in GitLab's access token settings. {ROTATE}",
)
secret_rule(
    "slack-access-token",
    "Slack token",
    Severity.high,
    r"\b(?P<secret>xox[baprs]-[0-9A-Za-z]{10,13}-[0-9A-Za-z\-]{10,72})\b",
    f"Revoke the token in the Slack app's settings. {ROTATE}",
)
secret_rule(
    "slack-web-hook",
    "Slack incoming webhook",
    Severity.medium,
    r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{43,56})",
    f"Regenerate the webhook URL in Slack. {ROTATE}",
)
secret_rule(
    "stripe-secret-token",
    "Stripe secret or restricted key",
    Severity.critical,
    r"\b(?P<secret>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,99})\b",
    f"Roll the key in the Stripe dashboard. {ROTATE}",
)
secret_rule(
    "sendgrid-api-token",
    "SendGrid API key",
    Severity.high,
    r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b",
    f"Delete the API key in SendGrid. {ROTATE}",
)
secret_rule(
    "twilio-api-key",
    "Twilio API key",
    Severity.high,
    r"\b(?P<secret>SK[0-9a-f]{32})\b",
    f"Delete the API key in the Twilio console. {ROTATE}",
    detect=r"SK[0-9a-f]{32}",  # a literal start, no word boundary: much faster
)
secret_rule(
    "npm-access-token",
    "npm access token",
    Severity.critical,
    r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
    f"Revoke the token with `npm token revoke` or on npmjs.com. {ROTATE}",
)
secret_rule(
    "pypi-upload-token",
    "PyPI upload token",
    Severity.high,
    r"\b(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    f"Remove the API token in the PyPI account settings. {ROTATE}",
)
secret_rule(
    "hugging-face-access-token",
    "Hugging Face access token",
    Severity.critical,
    r"\b(?P<secret>hf_[A-Za-z]{34})\b",
    f"Invalidate the token in the Hugging Face settings. {ROTATE}",
)
secret_rule(
    "openai-api-key",
    "OpenAI API key",
    Severity.critical,
    r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,74}T3BlbkFJ[A-Za-z0-9_\-]{20,74})",
    f"Revoke the key in the OpenAI dashboard. {ROTATE}",
)
secret_rule(
    "shopify-token",
    "Shopify access token or shared secret",
    Severity.high,
    r"\b(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
    f"Rotate the token or secret in the Shopify partner dashboard. {ROTATE}",
)
secret_rule(
    "private-key",
    "Private key (PEM or OpenSSH)",
    Severity.high,
    r"(?P<secret>-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----\r?\n"
    r"[\s\S]{16,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----)",
    "Treat the key as compromised: replace it wherever its public half is trusted; generate "
    "keys on first boot or fetch them from a secret store instead of baking them in",
    validate=is_pem_private_key,
    detect=r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----",
)
secret_rule(
    "putty-private-key",
    "Private key (PuTTY .ppk)",
    Severity.high,
    r"(?P<secret>PuTTY-User-Key-File-[23]: [\s\S]{16,16384}?Private-Lines: \d+\r?\n"
    r"(?:[A-Za-z0-9+/=]+\r?\n)+)",
    "Treat the key as compromised: remove its public half from every authorized_keys file",
    validate=is_putty_private_key,
    detect=r"PuTTY-User-Key-File-[23]: ",
)
secret_rule(
    "jwt-token",
    "JSON Web Token",
    Severity.medium,
    r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})",
    f"Invalidate the token (rotate its signing key if it does not expire). {ROTATE}",
    validate=_is_jwt,
)
secret_rule(
    "credentials-in-url",
    "Password in a URL",
    Severity.high,
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,19}://[^\s:/@\"'<>]{1,64}:(?P<secret>[^\s:/@\"'<>]{3,128})@"
    r"[A-Za-z0-9][A-Za-z0-9.\-]*",
    f"Change the password of that account. {ROTATE}{SECRET_STORE}",
    validate=not_placeholder,
    generic=True,
)
secret_rule(
    "netrc-password",
    "Password in a .netrc file",
    Severity.high,
    r"(?:^|\s)password\s+(?P<secret>\S+)",
    f"Change the password and delete the .netrc file. {ROTATE}",
    paths=("*/.netrc", "*/_netrc"),
    validate=not_placeholder,
    generic=True,
)
secret_rule(
    "git-credentials",
    "Git credential store entry",
    Severity.high,
    r"^[a-z]+://[^:\s/@]+:(?P<secret>[^@\s]+)@",
    f"Revoke the token or password and delete .git-credentials. {ROTATE}",
    paths=("*/.git-credentials", "*/git/credentials"),
    generic=True,
)
secret_rule(
    "docker-config-auth",
    "Container registry credentials (docker auths)",
    Severity.high,
    r"\"auth\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/]{6,}={0,2})\"",
    f"Log out of the registry, revoke the credentials and delete the config.json. {ROTATE}",
    validate=_is_docker_auth,
)
secret_rule(
    "kubeconfig-token",
    "Kubernetes credentials in a kubeconfig",
    Severity.high,
    r"^\s*(?:token|id-token|client-key-data|password)\s*:\s*[\"']?(?P<secret>[A-Za-z0-9._~+/=\-]{16,})",
    f"Revoke the service account token or client certificate. {ROTATE}",
    paths=("*/.kube/config", "*/.kube/*.yaml", "*kubeconfig*", "/etc/kubernetes/*.conf"),
    validate=not_placeholder,
    generic=True,
)
secret_rule(
    "password-in-config",
    "Password or key in a configuration file",
    Severity.high,
    r"(?:^|[\s{,;])[\"']?[\w.\-]*(?:password|passwd|pwd|secret|api_?key|access_?key|auth_?token)[\"']?"
    r"[ \t]*[=:][ \t]*[\"']?(?P<secret>[^\s\"'#;,]{6,128})",
    f"Remove the value from the file and change it. {ROTATE}{SECRET_STORE}",
    paths=CONFIG_FILES,
    caseless=True,
    validate=not_placeholder,
    generic=True,
)
secret_rule(
    "password-in-shell-history",
    "Password typed on a command line (shell history)",
    Severity.high,
    (
        r"\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p(?P<secret>[^\s\"']{4,})",
        r"--password[= ][\"']?(?P<secret>[^\s\"']{4,})",
        r"\bsshpass\s+-p\s*[\"']?(?P<secret>[^\s\"']{4,})",
        (
            r"\b(?:export\s+)?[A-Z_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY)[A-Z_]*="
            r"[\"']?(?P<secret>[^\s\"']{4,})"
        ),
        r"\becho\s+[\"']?[\w.\-]+:(?P<secret>[^\s\"':]{4,})[\"']?\s*\|\s*(?:sudo\s+)?chpasswd",
    ),
    "Change the password; clear the history files before the image is taken",
    paths=HISTORY_FILES,
    validate=not_placeholder,
    generic=True,
)
