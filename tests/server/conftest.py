"""Fixtures for the collector and dashboard: the real app served by uvicorn on loopback."""

from __future__ import annotations

from typing import Iterator

import pytest

from neatlogs_cli.ui import DashboardServer


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
