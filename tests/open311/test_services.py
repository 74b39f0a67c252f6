"""discovery, services, services/{code}: both formats, UTF-8, jurisdiction, errors."""

from __future__ import annotations

import pytest

from tests.open311.conftest import BASE, xml


def test_discovery_in_both_formats(client) -> None:
    body = client.get(f"{BASE}/discovery.json").json
    [endpoint] = body["endpoints"]
    assert endpoint["url"] == "https://1022.example.vn/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.findtext("changeset").endswith("+07:00")


def test_services_are_the_categories_with_their_departments(client) -> None:
    resp = client.get(f"{BASE}/services.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    services = {s["service_code"]: s for s in resp.json}
    assert {"TN-MT", "DIEN", "CONG-THUONG"} <= services.keys()
    tnmt = services["TN-MT"]
    assert tnmt["service_name"] == "Tài nguyên và môi trường"  # Vietnamese by default
    assert tnmt["group"] == "Sở Nông nghiệp và Môi trường"
    assert tnmt["metadata"] is False and tnmt["type"] == "realtime"
    assert "moi truong" in tnmt["keywords"]  # findable without diacritics
    assert services["DIEN"]["metadata"] is True
    assert "Tài nguyên và môi trường".encode() in resp.data  # UTF-8, not \\u escapes
    english = {s["service_code"]: s for s in client.get(f"{BASE}/services.json?lang=en").json}
    assert english["TN-MT"]["service_name"] == "Natural resources and environment"


def test_services_xml_has_the_spec_elements(client) -> None:
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert [child.tag for child in first] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert {s.findtext("metadata") for s in root} == {"true", "false"}


def test_service_definition_lists_attributes(client) -> None:
    body = client.get(f"{BASE}/services/DIEN.json").json
    assert body["service_code"] == "DIEN"
    kind = body["attributes"][0]
    assert kind["code"] == "loai_su_co" and kind["required"] is True and kind["datatype"] == "singlevaluelist"
    assert {"key": "mat_dien", "name": "Mất điện"} in kind["values"]
    root = xml(client.get(f"{BASE}/services/DIEN.xml?lang=en"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("code") == "loai_su_co" and attribute.findtext("required") == "true"
    assert attribute.find("values/value").findtext("name") == "Power outage"
    # A category without extra fields has an empty definition.
    assert client.get(f"{BASE}/services/TN-MT.json").json == {"service_code": "TN-MT", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_as_an_error_list(client, fmt) -> None:
    resp = client.get(f"{BASE}/services/NOPE.{fmt}")
    assert resp.status_code == 404
    if fmt == "json":
        assert resp.json == [{"code": 404, "description": "service_code 'NOPE' not found"}]
    else:
        root = xml(resp)
        assert root.tag == "errors" and root.find("error").findtext("code") == "404"


def test_unknown_resource_and_format_are_404(client) -> None:
    resp = client.get(f"{BASE}/nothing.json")
    assert resp.status_code == 404 and resp.json[0]["code"] == 404
    resp = client.get(f"{BASE}/services.csv")
    assert resp.status_code == 404 and xml(resp).find("error/description").text.startswith("format 'csv'")


def test_jurisdiction_is_accepted_only_when_it_is_ours(client) -> None:
    assert client.get(f"{BASE}/services.json?jurisdiction_id=dongthap.gov.vn").status_code == 200
    resp = client.get(f"{BASE}/services.json?jurisdiction_id=hanoi.gov.vn")
    assert resp.status_code == 404 and "jurisdiction_id" in resp.json[0]["description"]


def test_wrong_method_is_405_with_allow(client) -> None:
    resp = client.post(f"{BASE}/services.json")
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET"
    assert resp.json == [{"code": 405, "description": "POST is not allowed here; use GET"}]
    resp = client.delete(f"{BASE}/requests.xml")
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST"
    assert xml(resp).find("error/code").text == "405"
    assert client.delete(f"{BASE}/nothing.json").status_code == 404
