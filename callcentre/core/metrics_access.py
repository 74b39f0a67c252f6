"""Who may read /metrics: scrapers from ``METRICS_ALLOW`` and, when it is set, with ``METRICS_TOKEN``.

The figures name no citizen, but they tell anyone how busy the hotline is, how late departments
are and whether the workers are alive: not for the public. Both checks apply when both are
configured: the address first (403), then ``Authorization: Bearer <METRICS_TOKEN>`` (401).

The address is ``request.remote_addr``: the client's once ``TRUSTED_PROXIES`` covers the proxies in
front (http/proxy.py). A request that carries ``X-Forwarded-For`` while no proxy is trusted came
through a proxy whose client is unknown; an nginx on the same host would otherwise make every
visitor look like loopback, so such a request never passes the address check.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

from flask import Request, Response

Network = IPv4Network | IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"127.0.0.0/8, ::1, 10.0.5.7"`` -> networks; raises ValueError on a malformed entry."""
    return tuple(ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _address(raw: str | None) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(raw or "")
    except ValueError:
        return None  # a unix-socket peer, or nothing: not an address any entry can match
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack listener is 127.0.0.1
    return address


@dataclass(frozen=True)
class MetricsAccess:
    networks: tuple[Network, ...]
    token: str
    trusted_proxies: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MetricsAccess:
        try:
            networks = parse_networks(config.get("METRICS_ALLOW") or "")
        except ValueError as exc:
            raise ValueError(f"METRICS_ALLOW: {exc}") from exc
        return cls(networks, config.get("METRICS_TOKEN") or "", int(config.get("TRUSTED_PROXIES") or 0))

    def address_allowed(self, request: Request) -> bool:
        if not self.trusted_proxies and "X-Forwarded-For" in request.headers:
            return False
        address = _address(request.remote_addr)
        return address is not None and any(address in network for network in self.networks)

    def token_valid(self, request: Request) -> bool:
        scheme, _, supplied = (request.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode(), self.token.encode())

    def refusal(self, request: Request) -> Response | None:
        """The answer to a scraper that may not read the metrics, or None for one that may."""
        if not self.address_allowed(request):
            return Response("metrics: not from this address\n", 403, mimetype="text/plain")
        if self.token and not self.token_valid(request):
            return Response("metrics: a bearer token is required\n", 401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return None
