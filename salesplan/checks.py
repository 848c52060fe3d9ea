"""System checks that refuse configurations which would lose data or hang in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def check_production_services(app_configs: object = None, **kwargs: object) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "DEBUG is off but the database is SQLite.",
                hint="Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME; SQLite is for trying the app only.",
                id="salesplan.E001",
            )
        )
    if settings.JOBS_BACKEND != "celery":
        errors.append(
            Error(
                f"DEBUG is off but background jobs run in-process (JOBS_BACKEND={settings.JOBS_BACKEND}).",
                hint="Set CELERY_BROKER_URL=redis://HOST:6379/0 and run `celery -A salesplan worker`.",
                id="salesplan.E002",
            )
        )
    return errors


def refuse_unsafe_production() -> None:
    """Called by the WSGI/ASGI entry points, which Django's system checks never run for."""
    errors = check_production_services()
    if errors:
        raise ImproperlyConfigured(" ".join(f"{e.msg} {e.hint}" for e in errors))
