"""Panels that apps above accounts add to the account page (the account's strategy and plan questions, its
ICP fit), registered from their ``AppConfig.ready()`` and rendered with the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Account


@dataclass(frozen=True)
class AccountPanel:
    key: str
    template: str
    context: Callable[[HttpRequest, Account], dict[str, Any]]
    order: int  # lower first


_PANELS: dict[str, AccountPanel] = {}


def account_panel_register(panel: AccountPanel) -> None:
    _PANELS[panel.key] = panel


def account_panels_render(request: HttpRequest, account: Account) -> list[SafeString]:
    """Each registered panel rendered for ``account`` (one the user may see), in order."""
    panels = sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
    return [render_to_string(p.template, p.context(request, account), request=request) for p in panels]
