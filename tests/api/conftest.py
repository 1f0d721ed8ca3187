"""Fixtures for the API tests: the console's ``spi`` campaign (tests/admin/conftest.py)."""

from __future__ import annotations

from tests.admin.conftest import spi

__all__ = ["spi"]
