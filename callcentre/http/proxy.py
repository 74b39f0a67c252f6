"""Trust ``TRUSTED_PROXIES`` reverse proxies' X-Forwarded-For/-Proto/-Host (Werkzeug's ProxyFix).

Behind a TLS proxy every request comes from the proxy's address: without this, all clients share
one rate-limit bucket and the logs show only the proxy. With N trusted hops the client is the
N-th address from the right of X-Forwarded-For, so a client cannot forge its address by sending
the header itself. 0 (the default) trusts no header: right when clients connect directly.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
