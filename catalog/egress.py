"""Egress policy for outbound calls: which destination addresses Flowker may reach.

Link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata services) are always
refused. Loopback, private (RFC 1918, RFC 4193), shared (RFC 6598), and other non-global
ranges are refused unless ``FLOWKER_ALLOW_PRIVATE_NETWORKS`` is on. The check runs on the
addresses the host name resolves to, and again on every redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class EgressDenied(Exception):
    """The destination is not allowed (or cannot be resolved)."""


def check_url(url: str, allow_private: bool) -> None:
    """Raise EgressDenied unless every address of ``url``'s host is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EgressDenied("only http(s) URLs with a host are allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise EgressDenied("the URL's port is not a valid port number") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressDenied(f"cannot resolve host {parts.hostname!r}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_link_local:
            raise EgressDenied(f"destination {address} is link-local and always refused")
        if not address.is_global and not allow_private:
            raise EgressDenied(
                f"destination {address} is private or loopback; set FLOWKER_ALLOW_PRIVATE_NETWORKS to allow it"
            )
