"""`ChatOptions`: the client's settings, with the SDK's names and defaults.

Owns: the two receipt switches (`require_ack` for read receipts, default on;
`require_delivery_ack` for delivery receipts, default off as in the SDK; the
desktop app turns it on), the ack batching window, reconnect backoff and
keepalive timing, which certificates a wss:// server may present (`tls_ca_file`,
`tls_pin_sha256`), where the session token is kept (`token_store`: "file" or
"keyring"; `token_store.py` says what each protects against), and whether a photo's
location is taken out before it is sent (`strip_photo_location`, default on: a JPEG
sent with `ChatMessage.image` goes as a private copy without its GPS data and XMP,
`attachments.without_location`; the person's own file is never changed).

Never: read files or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChatOptions:
    server_url: str
    require_ack: bool = True
    require_delivery_ack: bool = False
    # Read and delivery acks issued within this window go out in one frame.
    ack_batch_seconds: float = 0.05
    # How long send_message waits for the server before leaving the message queued.
    send_timeout_seconds: float = 10.0
    request_timeout_seconds: float = 15.0
    reconnect_initial_seconds: float = 0.2
    reconnect_max_seconds: float = 30.0
    # websockets keepalive: a silent server is noticed within about interval + timeout.
    ping_interval_seconds: float = 10.0
    ping_timeout_seconds: float = 10.0
    device_name: str = "desktop"
    # For wss:// servers: a PEM file of the certificate authorities to trust instead of
    # the system's (a private CA). Certificates are always verified.
    tls_ca_file: str | None = None
    # For a wss:// server whose certificate signs itself (one shared on a local
    # network): the SHA-256 of that certificate, trusted once the person compared its
    # security code (client.pinning). Then only that certificate is accepted.
    tls_pin_sha256: str | None = None
    # "file": a 0600 file in the user's directory; "keyring": the system keyring
    # (the `keyring` extra), or that file where no keyring is available.
    token_store: str = "file"
    # Image messages: a JPEG's location (Exif GPS, XMP) never leaves this computer. Off,
    # the file is sent byte for byte as it is.
    strip_photo_location: bool = True

    def __post_init__(self) -> None:
        if self.token_store not in ("file", "keyring"):
            raise ValueError(f"token_store must be 'file' or 'keyring', not {self.token_store!r}")
