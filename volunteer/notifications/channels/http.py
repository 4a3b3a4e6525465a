"""HTTP for the channels: one requests session per process, a timeout on every
call, and transport errors turned into temporary failures (without their text,
which may hold the URL and so a token)."""
from __future__ import annotations

import requests

from . import TemporaryFailure

_session = requests.Session()


def timeout(app_config) -> float:
    return float(app_config.get("NOTIFY_TIMEOUT_SECONDS", 10))


def post(url: str, app_config, provider: str, **kwargs) -> requests.Response:
    try:
        response = _session.post(url, timeout=timeout(app_config), **kwargs)
    except requests.Timeout:
        raise TemporaryFailure(f"{provider}: timed out") from None
    except requests.RequestException as error:
        raise TemporaryFailure(f"{provider}: {type(error).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise TemporaryFailure(f"{provider}: HTTP {response.status_code}")
    return response


def json_of(response: requests.Response, provider: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise TemporaryFailure(f"{provider}: HTTP {response.status_code}, not JSON") from None
    if not isinstance(body, dict):
        raise TemporaryFailure(f"{provider}: unexpected answer")
    return body
