"""Which address a connection comes from: its TCP peer, or, when the peer is a
trusted proxy, the client that proxy names.

Owns: `TrustedProxies` (the configured addresses and CIDR networks) and
`client_address`. From a trusted proxy, the client is the rightmost address in
`X-Forwarded-For` (or, without it, in `Forwarded: for=`) that is not itself a
trusted proxy: each proxy appends the peer it saw, so everything to the left of
that was written by the client and may be forged. The address is the key of every
per-address limit (sign-ups, failed sign-ins, connections waiting to sign in).

Never: believe a forwarding header from a peer that is not a configured proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Protocol

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Headers(Protocol):
    """HTTP headers as websockets' `Headers` has them: every value of one name."""

    def get_all(self, key: str) -> list[str]: ...


def _parse(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    def __init__(self, specs: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(spec.strip(), strict=False) for spec in specs]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def _forwarded_for(value: str) -> list[str]:
    """The `for=` nodes of a `Forwarded` header (RFC 7239), in order."""
    nodes = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, node = pair.strip().partition("=")
            if name.strip().lower() != "for":
                continue
            node = node.strip().strip('"')
            if node.startswith("["):  # "[2001:db8::7]:4711"
                node = node[1 : node.find("]")] if "]" in node else ""
            elif node.count(":") == 1:  # "192.0.2.1:4711"
                node = node.partition(":")[0]
            nodes.append(node)
    return nodes


def client_address(peer: str, headers: Headers, proxies: TrustedProxies) -> str:
    """The client's address for a connection from `peer` with these HTTP headers.

    `headers` is websockets' `Headers`. A node that is not an IP
    address (`unknown`, an obfuscated name) ends the walk: the last proxy seen
    stands for the client then.
    """
    current = _parse(peer)
    if current is None:
        return peer
    if not proxies or current not in proxies:
        return str(current)
    hops = [hop for line in headers.get_all("X-Forwarded-For") for hop in line.split(",")]
    if not hops:
        hops = [node for line in headers.get_all("Forwarded") for node in _forwarded_for(line)]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        current = address
        if address not in proxies:
            break
    return str(current)
