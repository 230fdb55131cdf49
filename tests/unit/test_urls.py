"""One base-URL rule: the client's ``server_url`` and the config's ``url`` accept and refuse the same URLs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oxytui.client import SSEOxyGent
from oxytui.common.urls import base_url_problem, display_url
from oxytui.config import check_url

URLS = [
    ("http://10.0.0.5:8080", True),
    ("https://master.example/base/", True),
    ("  http://x:1 ", True),
    ("HTTP://X:1", True),
    ("http://[::1]:8080", True),
    ("ftp://x", False),
    ("localhost:8080", False),
    ("http://", False),
    ("http:///path", False),
    ("http://x:abc", False),
    ("http://x:99999", False),
    ("", False),
]


def _client_accepts(url: str, require_https: bool = False) -> bool:
    try:
        SSEOxyGent(name="n", server_url=url, require_https=require_https)
    except ValidationError:
        return False
    return True


def _config_accepts(url: str, production: bool = False) -> bool:
    try:
        check_url(url, production=production)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("url", "ok"), URLS)
def test_client_and_config_apply_the_same_rule(url: str, ok: bool) -> None:
    assert (base_url_problem(url) is None) is ok
    assert _client_accepts(url) is ok
    assert _config_accepts(url) is ok
    https_ok = ok and url.strip().lower().startswith("https://")
    assert _client_accepts(url, require_https=True) is https_ok
    assert _config_accepts(url, production=True) is https_ok


def test_credentials_are_the_configs_own_refusal_and_never_shown() -> None:
    assert _client_accepts("http://user:pw-secret@x:1")  # OxyGent accepts them; the client is a drop-in
    for url in ("http://user:pw-secret@x:1", "ftp://user:pw-secret@x", "http://user:pw-secret@x:abc"):
        with pytest.raises(ValueError) as err:
            check_url(url)
        assert "pw-secret" not in str(err.value)
    with pytest.raises(ValidationError) as verr:
        SSEOxyGent(name="n", server_url="ftp://user:pw-secret@x")
    assert "pw-secret" not in str(verr.value)
    assert display_url("http://user:pw-secret@x:1/p?q=1") == "http://x:1/p?q=1"
