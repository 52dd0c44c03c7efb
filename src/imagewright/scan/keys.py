"""Confirm that something that looks like a private key holds real key material.

A PEM block must decode to a DER structure whose outer SEQUENCE spans the whole block and starts
with an INTEGER version (PKCS#1, SEC1, PKCS#8) or is an EncryptedPrivateKeyInfo; an OpenSSH key
must carry the `openssh-key-v1` magic and a public key blob; a PuTTY key must have its public and
private lines decode as announced. Placeholders, truncated copies and documentation snippets fail.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

_PEM = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----\r?\n(.*?)-----END \1PRIVATE KEY-----", re.S
)
_PUTTY = re.compile(
    rb"PuTTY-User-Key-File-([23]): ([\w@.-]+)\r?\n.*?Public-Lines: (\d+)\r?\n(.*?)"
    rb"Private-Lines: (\d+)\r?\n(.*)",
    re.S,
)
_SSH_KEY_TYPES = (b"ssh-", b"ecdsa-", b"sk-")


def _der_length(data: bytes, index: int) -> tuple[int, int] | None:
    """(length, index after the length octets) of the DER element whose length starts at index."""
    if index >= len(data):
        return None
    first = data[index]
    if first < 0x80:
        return first, index + 1
    count = first & 0x7F
    if count == 0 or count > 4 or index + 1 + count > len(data):
        return None
    return int.from_bytes(data[index + 1 : index + 1 + count], "big"), index + 1 + count


def _is_private_key_der(der: bytes) -> bool:
    if len(der) < 16 or der[0] != 0x30:
        return False
    outer = _der_length(der, 1)
    if outer is None or outer[1] + outer[0] != len(der):
        return False
    inner = der[outer[1] :]
    # PKCS#1 / SEC1 / PKCS#8 start with INTEGER version; EncryptedPrivateKeyInfo with a SEQUENCE.
    return inner[:1] in (b"\x02", b"\x30") and len(inner) >= 8


def _decode_base64(lines: bytes) -> bytes | None:
    body = b"".join(line.strip() for line in lines.splitlines() if b":" not in line)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _read_string(blob: bytes, index: int) -> tuple[bytes, int] | None:
    if index + 4 > len(blob):
        return None
    (length,) = struct.unpack_from(">I", blob, index)
    end = index + 4 + length
    if end > len(blob):
        return None
    return blob[index + 4 : end], end


def _is_openssh_key(blob: bytes) -> bool:
    magic = b"openssh-key-v1\x00"
    if not blob.startswith(magic):
        return False
    index = len(magic)
    for _field in ("cipher", "kdf", "kdf options"):
        read = _read_string(blob, index)
        if read is None:
            return False
        index = read[1]
    if index + 4 > len(blob) or struct.unpack_from(">I", blob, index)[0] < 1:
        return False
    public = _read_string(blob, index + 4)
    if public is None:
        return False
    key_type = _read_string(public[0], 0)
    return key_type is not None and key_type[0].startswith(_SSH_KEY_TYPES)


def is_pem_private_key(block: bytes) -> bool:
    match = _PEM.search(block)
    if match is None:
        return False
    label, body = match.group(1), match.group(2)
    if body.lstrip().startswith(b"Proc-Type:"):  # legacy encrypted PKCS#1: headers, then DER
        body = body.split(b"\n\n", 1)[-1].split(b"\r\n\r\n", 1)[-1]
    decoded = _decode_base64(body)
    if decoded is None:
        return False
    if label == b"OPENSSH ":
        return _is_openssh_key(decoded)
    return _is_private_key_der(decoded) or (label == b"ENCRYPTED " and decoded[:1] == b"\x30")


def is_putty_private_key(block: bytes) -> bool:
    match = _PUTTY.search(block)
    if match is None:
        return False
    public_count, private_count = int(match.group(3)), int(match.group(5))
    public_lines = match.group(4).splitlines()[:public_count]
    private_lines = match.group(6).splitlines()[:private_count]
    if len(public_lines) != public_count or len(private_lines) != private_count:
        return False
    public = _decode_base64(b"\n".join(public_lines))
    private = _decode_base64(b"\n".join(private_lines))
    if not public or not private:
        return False
    key_type = _read_string(public, 0)
    return key_type is not None and key_type[0] == match.group(2)
