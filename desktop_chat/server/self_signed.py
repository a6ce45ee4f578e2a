"""A certificate of the server's own, for sharing a server on a local network.

Owns: `ensure_self_signed(directory)`, which makes (once) and then keeps an ECDSA
P-256 key and a certificate signed by that key, valid for ten years, as
`server.pem` and `server.key` (0600) in `directory`, and returns their paths and
the certificate's SHA-256 (`TlsFiles`). Nobody vouches for such a certificate:
people who connect compare its security code once (`client.pinning`), so it
names no address and keeps working when the computer's address changes. Made by
the `cryptography` library.

Never: replace a certificate that exists (the people who trusted it would be
refused), or leave the key readable by others.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_NAME = "server.pem"
KEY_NAME = "server.key"
VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    fingerprint: str  # the SHA-256 of the DER certificate, lowercase hex


def ensure_self_signed(directory: Path) -> TlsFiles:
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    if not (cert.exists() and key.exists()):
        _make(cert, key)
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    der = loaded.public_bytes(serialization.Encoding.DER)
    return TlsFiles(cert, key, hashlib.sha256(der).hexdigest())


def _make(cert_path: Path, key_path: Path) -> None:
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"desktop_chat on {socket.gethostname()}")]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The key first, private from its first byte; the certificate last, so a
    # half-made pair (a crash in between) has no certificate and is made again.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_bytes)
    temporary = cert_path.with_suffix(".tmp")
    temporary.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    temporary.replace(cert_path)
