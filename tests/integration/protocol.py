"""What every test client of xmqd shares: XMPP namespaces, the step timeout, TLS trust."""

from __future__ import annotations

import ssl
from pathlib import Path

STREAM_NS = "http://etherx.jabber.org/streams"
STREAMS_ERR_NS = "urn:ietf:params:xml:ns:xmpp-streams"
STANZAS_ERR_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"

# Seconds any single step may take (one answer, one login). Generous for a slow
# box, short enough that a hang shows as a failure.
STEP_TIMEOUT = 10


def client_tls_context(cafile: Path | None) -> ssl.SSLContext:
    """Trust exactly our self-signed certificate (or nothing checked when cafile is None)."""
    if cafile is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=str(cafile))
