from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

# virt-sysprep's list, verbatim.
PATTERNS = (
    "/var/log/*.log*", "/var/log/audit/*", "/var/log/btmp*", "/var/log/cron*", "/var/log/dmesg*",
    "/var/log/lastlog*", "/var/log/maillog*", "/var/log/mail/*", "/var/log/messages*",
    "/var/log/secure*", "/var/log/spooler*", "/var/log/tallylog*", "/var/log/wtmp*",
    "/var/log/apache2/*_log", "/var/log/apache2/*_log-*", "/var/log/ntp",
    "/var/log/tuned/tuned.log", "/var/log/debug*", "/var/log/syslog*", "/var/log/faillog*",
    "/var/log/firewalld*", "/var/log/grubby*", "/var/log/xferlog*", "/var/log/BackupPC/LOG",
    "/var/log/ceph/*.log", "/var/log/chrony/*.log", "/var/log/cups/*_log*",
    "/var/log/glusterfs/*glusterd.vol.log", "/var/log/glusterfs/glusterfs.log",
    "/var/log/httpd/*log", "/var/log/jetty/jetty-console.log", "/var/log/libvirt/libxl/*.log",
    "/var/log/libvirt/libvirtd.log", "/var/log/libvirt/lxc/*.log", "/var/log/libvirt/qemu/*.log",
    "/var/log/libvirt/uml/*.log", "/var/named/data/named.run", "/var/log/ppp/connect-errors",
    "/var/log/setroubleshoot/*.log", "/var/log/squid/*.log", "/var/lib/logrotate.status",
    "/root/install.log", "/root/install.log.syslog", "/root/anaconda-ks.cfg",
    "/root/anaconda-post.log", "/root/initial-setup-ks.cfg", "/root/original-ks.cfg",
    "/var/log/anaconda.syslog", "/var/log/anaconda/*", "/var/log/installer/*",
    "/var/cache/gdm/*", "/var/lib/AccountService/users/*", "/var/lib/fprint/*",
    "/var/cache/fontconfig/*", "/var/cache/man/*", "/var/log/sa/*", "/var/log/gdm/*",
    "/var/log/lightdm/*", "/var/log/ntpstats/*", "/etc/Pegasus/*.cnf", "/etc/Pegasus/*.crt",
    "/etc/Pegasus/*.csr", "/etc/Pegasus/*.pem", "/etc/Pegasus/*.srl", "/var/log/rhsm/*",
    "/var/log/journal/*", "/var/log/aptitude*", "/var/log/apt/*", "/var/log/exim4/*",
    "/var/log/ConsoleKit/*",
)  # fmt: skip


@operation(
    "logfiles",
    profiles=EXTENDED,
    removes="system, mail, web, installer and service logs (virt-sysprep's list of 70 patterns)",
    verified_by=none_left(*PATTERNS),
)
def logfiles(ctx: SanitizeContext) -> None:
    """Remove log files and installer leftovers that describe the build instance."""
    ctx.delete(*PATTERNS)
