"""Fixtures account planning's tests share with the accounts tests they build on."""

from __future__ import annotations

# An import and its undo, for the tests that undoing an import keeps the planning work on an account.
from accounts.tests.test_import_undo import imported, undo, world  # noqa: F401
