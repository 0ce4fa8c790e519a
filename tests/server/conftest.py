"""Fixtures for the collector and dashboard: the real app served by uvicorn on loopback."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from neatlogs_cli.ui import DashboardServer


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """Send one request with the standard library (no redirects followed) and return the answer."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "ui" / "traces.db")


@pytest.fixture
def server(db_path: str) -> Iterator[DashboardServer]:
    """The dashboard on a fresh store, no API key."""
    with DashboardServer(db_path) as running:
        yield running


@pytest.fixture
def keyed_server(db_path: str) -> Iterator[DashboardServer]:
    """The dashboard started with --api-key s3cret."""
    with DashboardServer(db_path, api_key="s3cret") as running:
        yield running
