"""TRUSTED_PROXIES: behind a TLS proxy, rate limits, URLs and the access log see the real client."""

from __future__ import annotations

import uuid
from pathlib import Path

import requests

from callcentre.core.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from tests.faults.live_web import LiveWeb
from tests.integrations.conftest import TELEPHONY_CONFIG, sign

PROXY = "10.0.0.1"  # every request reaches the app from the proxy's address


def _via_proxy(client, path: str, client_ip: str, **headers: str):
    return client.get(path, environ_base={"REMOTE_ADDR": PROXY},
                      headers={"X-Forwarded-For": client_ip, **headers})


def test_without_trusted_proxies_everyone_behind_the_proxy_shares_one_bucket(app, make_app) -> None:
    client = make_app(RATELIMIT_PUBLIC="2 per minute").test_client()
    statuses = [_via_proxy(client, "/t", ip).status_code for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3")]
    assert statuses == [200, 200, 429]  # the default (0) trusts no header, a direct client cannot forge one


def test_with_one_trusted_proxy_each_client_has_its_own_bucket(app, make_app) -> None:
    client = make_app(RATELIMIT_PUBLIC="2 per minute", TRUSTED_PROXIES=1).test_client()
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert [_via_proxy(client, "/t", ip).status_code for _ in range(2)] == [200, 200], ip
    assert _via_proxy(client, "/t", "198.51.100.1").status_code == 429
    # A client prepending its own X-Forwarded-For gains nothing: the proxy's hop (rightmost) is used.
    assert _via_proxy(client, "/t", "203.0.113.50, 198.51.100.1").status_code == 429


def test_forwarded_scheme_and_host_make_the_signed_url(app, make_app) -> None:
    """With PUBLIC_BASE_URL unset, Twilio's signature is over the URL the proxy was called on."""
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    signature = sign("https://hotline.example.vn/webhooks/twilio/sms/status", params)
    headers = {"X-Forwarded-For": "54.172.60.1", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "hotline.example.vn", "X-Twilio-Signature": signature}
    for hops, expected in ((1, 204), (0, 403)):
        client = make_app(**TELEPHONY_CONFIG, PUBLIC_BASE_URL="", TRUSTED_PROXIES=hops).test_client()
        resp = client.post("/webhooks/twilio/sms/status", data=params, headers=headers,
                           environ_base={"REMOTE_ADDR": PROXY})
        assert resp.status_code == expected, hops


def test_gunicorn_access_log_shows_the_client(services, session_app, tmp_path: Path) -> None:
    redis_dir = Path(f"/tmp/cc-proxy-{uuid.uuid4().hex[:8]}")
    web = LiveWeb(services, ensure_embedded_redis(redis_dir), tmp_path / "gunicorn.log", TRUSTED_PROXIES="1")
    try:
        resp = requests.get(f"{web.url}/healthz", headers={"X-Forwarded-For": "198.51.100.77"}, timeout=5)
        assert resp.status_code == 200
    finally:
        web.stop()
        stop_embedded_redis(redis_dir)
    [line] = [row for row in web.log().splitlines() if "GET /healthz" in row and "198.51.100.77" in row]
    assert line.startswith("198.51.100.77 ")  # the client, not 127.0.0.1 (the proxy here)
