"""An existing Open311 client, unchanged, against the running app: the `georeport`
package (a GeoReport v2 wrapper built for Boston, Chicago and others) reads our
services, definitions and requests in JSON and XML, and a plain form-encoded POST
creates a request it then finds."""
import xml.etree.ElementTree as ET

import pytest
import requests

from volunteer import api_keys
from volunteer.extensions import db

georeport = pytest.importorskip("georeport")


@pytest.fixture
def endpoint(app, live_server, monkeypatch):
    # Loopback only: never through a proxy from the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with app.app_context():
        _key, plain = api_keys.issue("Trung tâm IOC Quảng Trị", consent_attested=True)
        db.session.commit()
    return f"{live_server.url}/open311/v2", plain


def _as_list(value):
    # xmltodict gives a dict for one child element and a list for several.
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_existing_client_reads_and_finds_what_it_filed(endpoint, fmt):
    """georeport lists services and a definition, and finds a request filed by a plain POST."""
    root, key = endpoint
    client = georeport.GeoReport(root, jurisdiction="dongha.quangtri.vn", output_format=fmt)

    services = _as_list(client.get_service_list())
    assert "vneid" in [s["service_code"] for s in services]
    definition = client.get_service_definition("vneid")
    attributes = definition["attributes"] if fmt == "json" else _as_list(definition["attributes"]["attribute"])
    assert [a["code"] for a in attributes] == ["ward", "needs", "preferred_time"]

    filed = requests.post(f"{root}/requests.{fmt}", timeout=30, data={
        "api_key": key, "jurisdiction_id": "dongha.quangtri.vn", "service_code": "vneid",
        "lat": "16.8195", "long": "107.1028", "phone": "0912345678",
        "description": "Cần kích hoạt VNeID mức 2", "attribute[needs][]": ["elderly"],
    })
    assert filed.status_code == 201, filed.text
    if fmt == "json":
        reference = filed.json()[0]["service_request_id"]
    else:
        reference = ET.fromstring(filed.content).findtext("request/service_request_id")

    found = _as_list(client.get_service_requests(service_code="vneid", status="open"))
    assert [r["service_request_id"] for r in found] == [reference]
    one = client.get_service_request(reference)
    assert one["status"] == "open" and one["address"] == "Phường 1"
    assert one["service_name"] == "Căn cước gắn chip & VNeID"
