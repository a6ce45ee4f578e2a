"""Trust on first use for wss:// servers no authority vouches for.

Owns: how a server shared on a local network (its certificate signed by itself)
is trusted: by the SHA-256 of its certificate (`fingerprint`), which the person
compares once with the code the server's own screen shows (`security_code`) and
the app then keeps as the pin (`ChatOptions.tls_pin_sha256`):
- `tls_context(ca_file, pin)`: without a pin, the system's authorities (or the
  given private CA) and the host name, checked always; with a pin, the chain and
  the name are not checked during the handshake, and `check_pin` must accept the
  certificate before any frame is sent;
- `presented_fingerprint(url, timeout)`: what certificate a server presents,
  fetched in a handshake of its own that sends nothing, for the person to compare
  after the verified handshake failed.

Never: accept a certificate that is neither verified nor the pinned one, or send
a byte of the protocol before the pin is checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from urllib.parse import urlsplit

from desktop_chat.client.errors import ChatError, ChatErrorCode


def fingerprint(der: bytes) -> str:
    """The SHA-256 of a DER certificate, as 64 lowercase hex digits."""
    return hashlib.sha256(der).hexdigest()


def security_code(fingerprint_hex: str) -> str:
    """What people compare aloud: the first 96 bits, in six groups of four."""
    digits = fingerprint_hex.upper()[:24]
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def tls_context(ca_file: str | None, pin: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if pin:
        # The pin stands in for the chain and the name: check_pin runs right after.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def check_pin(url: str, ssl_object: ssl.SSLObject | None, pin: str) -> None:
    """Refuse a connection whose certificate is not the pinned one."""
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    presented = fingerprint(der) if der else ""
    if presented != pin.lower():
        raise untrusted(url, presented or None, pin)


def untrusted(url: str, presented: str | None, pin: str | None) -> ChatError:
    if pin:
        text = (
            f"the server at {url} now presents another certificate than the one trusted"
            " on this computer; if it was set up again, compare its new security code"
        )
    else:
        text = (
            f"the server at {url} has a certificate no authority vouches for; trust it"
            " only if its security code matches the one the server's computer shows"
        )
    return ChatError(
        ChatErrorCode.UNTRUSTED_CERTIFICATE,
        text,
        details={"fingerprint": presented, "pinned": pin},
    )


async def presented_fingerprint(url: str, timeout: float) -> str | None:
    """The fingerprint of the certificate the server at `url` presents (None: it
    could not be reached again, or presented none)."""
    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to read the certificate; nothing is sent
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                parts.hostname, parts.port or 443, ssl=context
            )
    except (OSError, TimeoutError, ssl.SSLError):
        return None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return fingerprint(der) if der else None
    finally:
        writer.close()
        try:
            async with asyncio.timeout(timeout):
                await writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError):
            pass
