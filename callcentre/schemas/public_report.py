"""The citizen's web report (no login): the SMS code, the report, reports nearby, the receipt."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates, validates_schema

from callcentre.formats.extent import PROVINCE
from callcentre.formats.limits import MAX_TEXT
from callcentre.formats.receipt import InvalidReceiptCode, normalize
from callcentre.schemas.common import PhoneNumber, Text, UTCDateTime, reject_blank, strip_strings

MAX_PHOTOS = 3
OTP_PATTERN = r"^[0-9]{6}$"
_NEAR = (f"within the province ({PROVINCE.south}–{PROVINCE.north} N, "
         f"{PROVINCE.west}–{PROVINCE.east} E)")


def _known_commune(value: str | None) -> None:
    from callcentre.formats.geo import commune_exists

    if value is not None and not commune_exists(value):
        raise ValidationError("unknown commune code (see the province's communes and wards)")


class ReceiptCode(Text):
    """A receipt code in any usual spelling, loaded in its canonical form."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(20, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            return normalize(super()._deserialize(value, attr, data, **kwargs))
        except InvalidReceiptCode as exc:
            raise ValidationError(str(exc)) from exc


class _Stripped(Schema):
    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # A form sends empty strings for what the citizen left blank: the same as not sent.
        return {k: v for k, v in strip_strings(data).items() if v != ""}


class OtpRequestIn(_Stripped):
    phone = PhoneNumber(required=True, metadata={"description": "Vietnamese phone number, any usual form"})
    language = fields.String(load_default="vi", validate=validate.OneOf(["vi", "en"]),
                             metadata={"description": "language of the SMS"})


class OtpRequestOut(Schema):
    phone = fields.String(metadata={"description": "the number, masked: +8491*****78"})
    expires_at = UTCDateTime()
    resend_at = UTCDateTime(metadata={"description": "no other code for this phone before then"})


class PublicReportIn(_Stripped):
    """A report, or a "+1" on an open report nearby (``follow``); photos come as multipart ``media``."""

    phone = PhoneNumber(required=True)
    otp = fields.String(required=True, validate=validate.Regexp(OTP_PATTERN, error="6 digits"),
                        metadata={"description": "the 6-digit code sent by SMS (POST /otp)", "pattern": OTP_PATTERN})
    category = Text(50, load_default=None, metadata={"description": "category code; not needed with follow"})
    description = Text(MAX_TEXT, load_default=None, validate=reject_blank,
                       metadata={"description": "what happened; optional with follow"})
    commune_code = Text(10, load_default=None)
    address = Text(500, load_default=None)
    lat = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-180, max=180))
    name = Text(200, load_default=None)
    language = fields.String(load_default="vi", validate=validate.OneOf(["vi", "en"]))
    follow = ReceiptCode(load_default=None, metadata={
        "description": "receipt code of an open report nearby to follow (+1): the citizen is told of its answer"})

    @validates("commune_code")
    def _commune(self, value: str | None, **_: Any) -> None:
        _known_commune(value)

    @validates_schema
    def _together(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None):
            errors["lat" if lat is None else "lng"] = ["lat and lng go together"]
        elif lat is not None and lng is not None and not PROVINCE.contains(lat, lng):
            errors["lat"] = [f"the point must be {_NEAR}"]
        if data.get("follow") is None:
            for name in ("category", "description"):
                if not data.get(name):
                    errors[name] = ["Missing data for required field."]
            if not (data.get("commune_code") or data.get("address") or lat is not None):
                errors["commune_code"] = ["say where: commune_code, address, or lat and lng"]
        if errors:
            raise ValidationError(errors)


class PublicReportMultipart(PublicReportIn):
    """The multipart form of the same report (the OpenAPI document's view of it)."""

    media = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), metadata={
        "description": f"up to {MAX_PHOTOS} photos (JPEG, PNG, WebP), checked by content; metadata (GPS) removed"})


class PublicReportOut(Schema):
    receipt_code = fields.String()
    receipt_code_display = fields.String()
    status = fields.String()
    lookup_url = fields.String(metadata={"description": "the public page of the report (what the QR code encodes)"})
    qr_svg = fields.String(metadata={"description": "the QR code of lookup_url"})
    followed = fields.String(allow_none=True, metadata={
        "description": "receipt code of the report followed (+1); this report was merged into it"})


class NearbyQuery(Schema):
    category = Text(50, required=True, validate=reject_blank)
    commune_code = Text(10, load_default=None)
    lat = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-180, max=180))

    @validates("commune_code")
    def _commune(self, value: str | None, **_: Any) -> None:
        _known_commune(value)

    @validates_schema
    def _where(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ValidationError("lat and lng go together", "lat")
        if data.get("commune_code") is None and data.get("lat") is None:
            raise ValidationError("give commune_code, or lat and lng", "commune_code")


class NearbyOut(Schema):
    """What a public view may show of another citizen's report: no words, no photos, no house number."""

    receipt_code = fields.String()
    receipt_code_display = fields.String()
    category = fields.Dict(metadata={"description": "code, name_vi, name_en"})
    commune_code = fields.String(allow_none=True)
    commune_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "without house numbers"})
    status = fields.String()
    status_label = fields.Dict()
    created_at = UTCDateTime()


class NearbyPage(Schema):
    items = fields.List(fields.Nested(NearbyOut))
