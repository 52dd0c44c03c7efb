"""A planted-file corpus: for every sanitize operation, files it must remove (and what it must
leave behind). Shared by the unit tests and the real-image tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.paths import ImageRoot


@dataclass(frozen=True)
class Plant:
    files: tuple[str, ...]  # image paths planted with secret content; all must be gone after
    after: dict[str, bytes] = field(default_factory=dict)  # image path -> content afterwards
    kept: tuple[str, ...] = ()  # image paths that must survive untouched
    planted: dict[str, bytes] = field(default_factory=dict)  # special content to plant
    appended: dict[str, bytes] = field(default_factory=dict)  # added to existing files


# Planted content names its file, so a copy found anywhere on a raw disk says what it was.
# DELETED-SECRET marks content a benchmark removes with plain rm before sanitizing.
MARKER = re.compile(rb"(?:IMAGEWRIGHT|DELETED)-SECRET [a-z0-9-]+ (/\S+)")


def secret(op: str, path: str) -> bytes:
    return f"IMAGEWRIGHT-SECRET {op} {path} ".encode() * 3 + b"\n"


IFCFG = "/etc/sysconfig/network-scripts/ifcfg-eth0"

CORPUS: dict[str, Plant] = {
    "cloud-init-files": Plant(
        (
            "/etc/sudoers.d/90-cloud-init-users",
            "/etc/locale.conf",
            "/var/log/cloud-init.log",
            "/var/log/cloud-init-output.log",
            "/var/lib/cloud/instances/i-0abc/user-data.txt",
            "/var/lib/cloud/seed/nocloud/meta-data",
            "/var/lib/cloud/.hidden",
        )
    ),
    "instance-files": Plant(
        (
            "/etc/.updated",
            "/etc/aliases.db",
            "/etc/hostname",
            "/var/lib/misc/postfix.aliasesdb-stamp",
            "/var/lib/postfix/master.lock",
            "/var/spool/postfix/pid/master.pid",
            "/var/.updated",
            "/var/cache/yum/x86_64/2/.gpgkeyschecked.yum",
        )
    ),
    "ssh-files": Plant(
        (
            "/etc/ssh/ssh_host_rsa_key",
            "/etc/ssh/ssh_host_rsa_key.pub",
            "/etc/ssh/ssh_host_ecdsa_key",
            "/etc/ssh/ssh_host_ecdsa_key.pub",
            "/etc/ssh/ssh_host_ed25519_key",
            "/etc/ssh/ssh_host_ed25519_key.pub",
            "/root/.ssh/authorized_keys",
            "/home/ec2-user/.ssh/authorized_keys",
            "/home/admin/.ssh/authorized_keys",
        ),
        kept=("/home/admin/.ssh/known_hosts",),
    ),
    "instance-log-files": Plant(
        ("/var/log/audit/audit.log", "/var/log/boot.log", "/var/log/dmesg", "/var/log/cron")
    ),
    "legacy-files": Plant(("/home/ec2-user/.bash_history", "/.autorelabel")),
    "toe-files": Plant(
        (
            "/tmp/TOE_2026-12-03_10-00-00_UTC-0_abc/console.log",
            "/tmp/TOE_2026-12-03_10-00-00_UTC-0_abc/nested/detailedoutput.json",
        ),
        kept=("/tmp/not-toe.log",),
    ),
    "ssm-log-files": Plant(
        ("/var/log/amazon/ssm/amazon-ssm-agent.log", "/var/log/amazon/ssm/audits/audit-1")
    ),
    "sysstat-logs": Plant(("/var/log/sa/sa01", "/var/log/sa/sar01"), kept=("/var/log/sa/other",)),
    "dhclient-leases": Plant(("/var/lib/dhclient/dhclient-eth0.lease",)),
    "var-tmp": Plant(("/var/tmp/build.tar", "/var/tmp/.hidden/key", "/var/tmp/dir/sub/file")),
    "random-seed": Plant(("/var/lib/systemd/random-seed",)),
    "imjournal-state": Plant(("/var/lib/rsyslog/imjournal.state",)),
    "journal-logs": Plant(("/var/log/journal/0123abcd/system.journal",)),
    "machine-id": Plant(
        (),
        planted={
            "/etc/machine-id": b"0123456789abcdef0123456789abcdef\n",
            "/var/lib/dbus/machine-id": b"0123456789abcdef0123456789abcdef\n",
        },
        after={"/etc/machine-id": b""},
    ),
    "abrt-data": Plant(("/var/spool/abrt/ccpp-1/coredump",)),
    "account-backups": Plant(
        ("/var/backups/shadow.bak", "/var/backups/passwd.1.gz", "/etc/security/opasswd")
    ),
    "agent-identities": Plant(
        ("/etc/salt/minion_id", "/etc/salt/pki/minion/minion.pem", "/etc/chef/client.pem")
    ),
    "backup-files": Plant(
        ("/etc/shadow.bak", "/root/notes~", "/var/lib/app/config.bak", "/srv/x/y.bak"),
        kept=("/usr/share/doc/example.bak",),
    ),
    "bash-history": Plant(
        ("/root/.bash_history", "/home/admin/.bash_history", "/srv/svc/.bash_history"),
        appended={"/etc/passwd": b"svc:x:999:999::/srv/svc:/bin/sh\n"},
    ),
    "blkid-tab": Plant(("/etc/blkid/blkid.tab", "/etc/blkid.tab.old")),
    "cloud-init-clean": Plant(
        (
            "/var/lib/cloud/seed/nocloud/user-data",
            "/var/lib/cloud/instance/obj.pkl",
            "/var/log/cloud-init.log.1",
            "/var/log/cloud-init-output.log",
        )
    ),
    "crash-data": Plant(("/var/crash/127.0.0.1-2026/vmcore", "/var/log/dump/dump.1")),
    "cron-spool": Plant(
        ("/var/spool/cron/crontabs/root", "/var/spool/cron/atjobs/a0001", "/var/spool/atjobs/b"),
        planted={"/var/spool/cron/atjobs/.SEQ": b"00042\n"},
        after={"/var/spool/cron/atjobs/.SEQ": b"00000\n"},
    ),
    "dhcp-client-state": Plant(("/var/lib/dhcp/dhclient.eth0.leases", "/var/lib/dhclient/x")),
    "dhcp-server-state": Plant(("/var/lib/dhcpd/dhcpd.leases",)),
    "dovecot-data": Plant(("/var/lib/dovecot/instances",)),
    "installer-files": Plant(("/root/anaconda-ks.cfg", "/var/log/installer/autoinstall-user-data")),
    "ipa-client": Plant(("/etc/ipa/default.conf", "/var/lib/ipa-client/sysrestore/x")),
    "kerberos-hostkeytab": Plant(("/etc/krb5.keytab",)),
    "logfiles": Plant(
        ("/var/log/syslog", "/var/log/auth.log", "/var/log/apt/history.log", "/var/log/wtmp"),
        kept=("/var/log/README",),
    ),
    "lvm-system-devices": Plant(("/etc/lvm/devices/system.devices",)),
    "mail-spool": Plant(("/var/mail/root", "/var/spool/mail/admin")),
    "net-hostname": Plant(
        (),
        planted={IFCFG: b"DEVICE=eth0\nHOSTNAME=build-42\nDHCP_HOSTNAME=build-42\nONBOOT=yes\n"},
        after={IFCFG: b"DEVICE=eth0\nONBOOT=yes\n"},
    ),
    "net-hwaddr": Plant(
        (),
        planted={IFCFG: b"DEVICE=eth0\nHWADDR=52:54:00:12:34:56\n"},
        after={IFCFG: b"DEVICE=eth0\n"},
    ),
    "net-nmconn": Plant(("/etc/NetworkManager/system-connections/Wired.nmconnection",)),
    "networkmanager-state": Plant(
        ("/var/lib/NetworkManager/internal-x.lease", "/var/lib/NetworkManager/secret_key")
    ),
    "pacct-log": Plant(
        ("/var/log/account/pacct.1.gz",),
        planted={"/var/log/account/pacct": b"accounting records\n"},
        after={"/var/log/account/pacct": b""},
    ),
    "package-manager-cache": Plant(
        ("/var/cache/apt/archives/vim_9.0_amd64.deb", "/var/cache/apt/pkgcache.bin"),
        kept=("/var/cache/apt/archives/lock",),
    ),
    "pam-data": Plant(("/var/run/faillock/admin",)),
    "passwd-backups": Plant(("/etc/shadow-", "/etc/passwd-", "/etc/gshadow-")),
    "puppet-data-log": Plant(("/var/log/puppet/puppet.log", "/var/lib/puppet/ssl/private.pem")),
    "rh-subscription-manager": Plant(("/etc/pki/consumer/key.pem", "/etc/pki/entitlement/1.pem")),
    "rhn-systemid": Plant(("/etc/sysconfig/rhn/systemid",)),
    "rpm-db": Plant(("/var/lib/rpm/__db.001",), kept=("/var/lib/rpm/Packages",)),
    "samba-db-log": Plant(("/var/log/samba/log.smbd", "/var/lib/samba/private/secrets.tdb")),
    "smolt-uuid": Plant(("/etc/smolt/uuid",)),
    "ssh-hostkeys": Plant(("/etc/ssh/ssh_host_dsa_key", "/etc/ssh/ssh_host_rsa_key")),
    "ssh-userdir": Plant(("/root/.ssh/id_ed25519", "/home/admin/.ssh/known_hosts")),
    "sssd-db-log": Plant(("/var/log/sssd/sssd.log", "/var/lib/sss/db/cache.ldb")),
    "systemd-coredumps": Plant(("/var/lib/systemd/coredump/core.sshd.0.zst",)),
    "systemd-identity": Plant(("/var/lib/systemd/credential.secret", "/etc/machine-info")),
    "tmp-files": Plant(("/tmp/build.sh", "/tmp/.X0-lock", "/var/tmp/cache/x")),
    "tool-histories": Plant(
        ("/root/.python_history", "/home/admin/.lesshst", "/root/.local/share/fish/fish_history")
    ),
    "udev-persistent-net": Plant(("/etc/udev/rules.d/70-persistent-net.rules",)),
    "user-credentials": Plant(
        (
            "/root/.aws/credentials",
            "/home/admin/.kube/config",
            "/home/admin/.docker/config.json",
            "/root/.git-credentials",
            "/root/.netrc",
        ),
        kept=("/home/admin/.docker/daemon.json",),
    ),
    "utmp": Plant(("/var/run/utmp",)),
    "yum-uuid": Plant(("/var/lib/yum/uuid",)),
    "zsh-history": Plant(("/root/.zsh_history", "/home/admin/.zsh_history")),
}


def plant(root: Path, name: str) -> Plant:
    """Write an operation's corpus below root (through the confined resolver: a Debian tree's
    /var/run is an absolute link to /run); returns its entry."""
    image = ImageRoot(root)
    entry = CORPUS[name]
    for path in (*entry.files, *entry.kept):
        image.write_bytes(path, secret(name, path))
    for path, content in entry.planted.items():
        image.write_bytes(path, content)
    for path, content in entry.appended.items():
        existing = image.read_bytes(path) if image.is_file(path) else b""
        image.write_bytes(path, existing + content)
    return entry


def present(root: Path, path: str) -> bool:
    return ImageRoot(root).exists(path)


def content(root: Path, path: str) -> bytes:
    return ImageRoot(root).read_bytes(path)


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every object below root: its mode and content (files) or target (links)."""
    found: dict[str, tuple[int, bytes | str | None]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            found[str(path)] = (info.st_mode, str(path.readlink()))
        elif path.is_file():
            found[str(path)] = (info.st_mode, path.read_bytes())
        else:
            found[str(path)] = (info.st_mode, None)
    return found


def secrets_on_disk(raw: Path) -> set[str]:
    """The image paths whose planted content is anywhere in the raw bytes."""
    found: set[str] = set()
    with raw.open("rb") as disk:
        previous = b""
        while chunk := disk.read(64 << 20):
            data = previous + chunk
            found.update(m.group(1).decode() for m in MARKER.finditer(data))
            previous = data[-256:]
    return found
