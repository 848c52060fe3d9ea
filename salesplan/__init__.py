"""salesplan: B2B sales strategy planning. This package is the project and its core app."""

from __future__ import annotations

from salesplan.celery import app as celery_app

__all__ = ["celery_app"]
