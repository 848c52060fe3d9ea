"""Configuration from the environment, the production checks and the refusal of unsafe set-ups."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "plan.example.com",
    "DATABASE_URL": "postgres://salesplan:secret@db.example.com:5432/salesplan",
    "CELERY_BROKER_URL": "redis://cache.example.com:6379/0",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "JOBS_BACKEND",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_on_production_settings(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SALESPLAN_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        ("DATABASE_URL", "salesplan.E001"),
        ("CELERY_BROKER_URL", "salesplan.E002"),
    ],
)
def test_system_check_refuses_debug_off_with_sqlite_or_in_process_jobs(tmp_path, drop, expected):
    env = {k: v for k, v in PRODUCTION.items() if k != drop}
    result = _manage("check", SALESPLAN_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert expected in result.stderr


def test_wsgi_refuses_to_start_on_sqlite_in_production(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    result = subprocess.run(
        [sys.executable, "-c", "import salesplan.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, **env, "SALESPLAN_VAR_DIR": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEBUG is off but the database is SQLite" in result.stderr


def test_production_without_secret_key_fails_loudly(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", SALESPLAN_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_embedded_default_needs_nothing_but_python(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.JOBS_BACKEND)",
        SALESPLAN_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["django.db.backends.sqlite3", "thread"]


def test_a_misspelt_jobs_backend_is_refused(tmp_path):
    result = _manage("check", SALESPLAN_VAR_DIR=str(tmp_path), JOBS_BACKEND="celry")
    assert result.returncode != 0
    assert "JOBS_BACKEND must be celery, thread or sync" in result.stderr


def test_the_heartbeat_limit_and_the_visibility_timeout_come_from_the_environment(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.JOBS_HEARTBEAT_TIMEOUT_SECONDS, "
        "s.JOBS_HEARTBEAT_INTERVAL_SECONDS, s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])",
        SALESPLAN_VAR_DIR=str(tmp_path),
        JOBS_HEARTBEAT_TIMEOUT_SECONDS="20",
        CELERY_VISIBILITY_TIMEOUT_SECONDS="900",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["20", "5.0", "900"]


def test_a_heartbeat_limit_too_short_to_beat_within_is_refused(tmp_path):
    result = _manage("check", SALESPLAN_VAR_DIR=str(tmp_path), JOBS_HEARTBEAT_TIMEOUT_SECONDS="1")
    assert result.returncode != 0
    assert "JOBS_HEARTBEAT_TIMEOUT_SECONDS must be at least 2" in result.stderr
