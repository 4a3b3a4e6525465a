"""The two formats of GeoReport v2: XML and JSON."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET




# How each list is spelled in XML: <services><service/>…</services>.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all; a stored description may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _scalar(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, name: str, data) -> None:
    if isinstance(data, list):
        item = ITEM_NAMES[name]
        for value in data:
            _fill(ET.SubElement(element, item), item, value)
    elif isinstance(data, dict):
        for key, value in data.items():
            _fill(ET.SubElement(element, key), key, value)
    else:
        element.text = _scalar(data)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, root, data)
    body = ET.tostring(element, encoding="unicode").encode("utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
