"""Django for a benchmark script: the scratch database and production settings, as a user's server runs."""

from __future__ import annotations

import os


def django_production_setup(url: str) -> None:
    """Point Django at ``url`` with DEBUG off (cached templates, no query log) and collect static files, so
    pages render exactly as deployed. Call before importing anything of the project."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    call_command("collectstatic", "--noinput", verbosity=0)  # the manifest the pages' static links need
    setup_test_environment()  # the test client's templates-rendered signals, without a test database
