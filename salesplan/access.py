"""Role checks shared by every app's views. Object access goes through the scoped selectors instead."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def require_leader(request: HttpRequest, what: str = "do this") -> None:
    """403 with a plain message unless a sales leader (or an administrator) is signed in."""
    if not request.user.is_leader:
        raise PermissionDenied(f"Only a sales leader can {what}.")
