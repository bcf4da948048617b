"""Every network and data exposure rule, one entry point: firewall and database exposure
(network), public storage (storage), TLS and CORS in code (transport)."""

from __future__ import annotations

from . import network, storage, transport

RULES = (*network.RULES, *storage.RULES, *transport.RULES)
