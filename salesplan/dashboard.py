"""Home-page panels. Each app contributes panels for the roles they serve, so the core home page can
show accounts, territories or leads without importing the apps above it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from salesplan.models import User


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    context: Callable[[User], dict[str, Any]]
    roles: frozenset[str]  # "leader", "manager", "rep"
    order: int = 100
    width: str = "col-12"  # Bootstrap column classes


_PANELS: dict[str, HomePanel] = {}


def home_panel_register(panel: HomePanel) -> None:
    _PANELS[panel.key] = panel


def home_panels_for(user: User) -> list[dict[str, Any]]:
    """The panels of the user's role, in order, each with its context already computed."""
    role = "leader" if user.is_leader else user.role
    panels = sorted((p for p in _PANELS.values() if role in p.roles), key=lambda p: (p.order, p.key))
    return [{"panel": p, "context": p.context(user)} for p in panels]
