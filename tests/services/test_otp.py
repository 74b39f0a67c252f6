"""One-time codes (services/otp.py): hashed, sent at once through the real twilio SDK to a local
stand-in, 10 minutes, 5 tries, used once, resend after 60 s, hourly limits per phone and address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from callcentre.core.extensions import db
from callcentre.models import Contact, MessageStatus, OneTimeCode, OutboundMessage
from callcentre.models.types import utcnow
from callcentre.services import otp
from tests.integrations.conftest import TELEPHONY_CONFIG, fake_twilio  # noqa: F401  (fixture)

PHONE = "+84912345678"


@pytest.fixture()
def otp_app(app, make_app, fake_twilio):  # noqa: F811
    def build(**overrides):
        return make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, **overrides})
    return build


def _code(fake, phone: str = PHONE) -> str:
    bodies = [m["Body"] for m in fake.messages if m["To"] == phone]
    assert bodies, "no SMS reached the phone"
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def _issue(app, phone: str = PHONE, address: str = "203.0.113.5") -> otp.Issued:
    with app.test_request_context():
        return otp.issue(phone, address)


def _verify(app, code: str, phone: str = PHONE) -> str:
    """``"ok"`` (and committed) or the refusal's reason."""
    with app.test_request_context():
        try:
            otp.verify(phone, code)
        except otp.OtpRefused as exc:
            return exc.reason
        db.session.commit()
        return "ok"


def test_the_code_is_sent_by_sms_and_stored_only_as_a_keyed_hash(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    issued = _issue(app)
    code = _code(fake_twilio)
    body = fake_twilio.messages[-1]["Body"]
    assert body.startswith("1022: Mã xác minh") and "10 phút" in body
    with app.app_context():
        row = db.session.scalars(select(OneTimeCode)).one()
        assert code not in row.code_hash and row.code_hash == otp.code_hash(PHONE, code)
        assert row.expires_at - row.created_at == timedelta(minutes=10) and row.expires_at == issued.expires_at
        message = db.session.scalars(select(OutboundMessage)).one()
        assert message.kind == "otp" and message.status == MessageStatus.SENT and message.provider_message_id
        assert code not in message.body and otp.MASK in message.body  # the record keeps no code
        assert otp.code_hash(PHONE, code) != otp.code_hash("+84912345679", code)  # bound to the phone


def test_a_code_is_accepted_once(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    _issue(app)
    code = _code(fake_twilio)
    assert _verify(app, code) == "ok"
    assert _verify(app, code) == "used"
    with app.app_context():
        assert db.session.scalars(select(OneTimeCode)).one().used_at is not None


def test_five_wrong_tries_use_the_code_up(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    _issue(app)
    code = _code(fake_twilio)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with app.test_request_context():
        with pytest.raises(otp.OtpRefused) as first:
            otp.verify(PHONE, wrong)
        assert first.value.status == 422 and first.value.params == {"left": 4} and "còn 4 lần" in first.value.text()
    assert [_verify(app, wrong) for _ in range(4)] == ["wrong", "wrong", "wrong", "wrong_last"]
    assert _verify(app, code) == "too_many_tries"  # even the right code, now
    with app.app_context():
        assert db.session.scalars(select(OneTimeCode)).one().attempts == 5


def test_an_expired_code_is_refused(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    _issue(app)
    code = _code(fake_twilio)
    with app.app_context():
        db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert _verify(app, code) == "expired"
    assert _verify(app, "000000", phone="+84987654321") == "no_code"


def test_resend_waits_60_seconds_and_the_new_code_replaces_the_old(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    _issue(app)
    first = _code(fake_twilio)
    with app.test_request_context(), pytest.raises(otp.OtpRefused) as refused:
        otp.issue(PHONE, "203.0.113.5")
    assert refused.value.reason == "resend_too_soon" and refused.value.status == 429
    assert 55 <= (refused.value.retry_after or 0) <= 60
    assert len(fake_twilio.messages) == 1
    with app.app_context():
        db.session.execute(update(OneTimeCode).values(created_at=utcnow() - timedelta(seconds=61)))
        db.session.commit()
    _issue(app)
    second = _code(fake_twilio)
    if second != first:  # one in a million they are equal
        assert _verify(app, first) == "wrong"
    assert _verify(app, second) == "ok"


def test_hourly_limits_per_phone_and_per_client_address(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app(OTP_RESEND_SECONDS=0, OTP_PHONE_HOURLY=2, OTP_ADDRESS_HOURLY=3)
    _issue(app)
    _issue(app)
    with app.test_request_context(), pytest.raises(otp.OtpRefused) as phone_limit:
        otp.issue(PHONE, "198.51.100.7")
    assert phone_limit.value.reason == "phone_limit"
    _issue(app, "+84987654321")  # the address's third code
    with app.test_request_context(), pytest.raises(otp.OtpRefused) as address_limit:
        otp.issue("+84987654322", "203.0.113.5")
    assert address_limit.value.reason == "address_limit" and address_limit.value.status == 429
    _issue(app, "+84987654322", address="198.51.100.7")  # another address is not held back
    assert len(fake_twilio.messages) == 4


def test_an_opted_out_phone_still_gets_its_code(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    with app.app_context():
        db.session.add(Contact(phone=PHONE, sms_opted_out_at=utcnow()))
        db.session.commit()
    _issue(app)
    assert _code(fake_twilio)
    with app.app_context():
        message = db.session.scalars(select(OutboundMessage)).one()
        assert message.status == MessageStatus.SENT and message.contact_id is not None


def test_a_code_that_could_not_be_sent_does_not_count(otp_app, fake_twilio) -> None:  # noqa: F811
    app = otp_app()
    fake_twilio.fail_status = 503
    with app.test_request_context(), pytest.raises(otp.OtpRefused) as refused:
        otp.issue(PHONE, "203.0.113.5")
    assert refused.value.reason == "send_failed" and refused.value.status == 503
    with app.app_context():
        assert db.session.scalars(select(OneTimeCode)).all() == []
        assert db.session.scalars(select(OutboundMessage)).one().status == MessageStatus.FAILED
    fake_twilio.fail_status = None
    _issue(app)  # at once: the failed one held nothing back
    assert _code(fake_twilio)
