"""Shared test set-up: the test layers, service detection, the real Celery worker, the demo org.

Layers (see README.md, "Tests"): on SQLite the PostgreSQL-only tests are deselected; with
DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://… everything runs, including a real worker.
A missing service skips its tests with a message naming it, or fails them when REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
KILL_HEARTBEAT_LIMIT = 4  # seconds: the heartbeat limit of the tests that kill a worker (60 in production)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def service_missing(what: str, why: str) -> None:
    """Skip the test, naming what is missing, or fail it when the run requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but {why}.", pytrace=False)
    pytest.skip(f"needs {what}: {why}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    layer = f"PostgreSQL {db['HOST']}:{db['PORT']}" if _on_postgres() else "SQLite"
    broker = settings.CELERY_BROKER_URL or "none"
    return [f"salesplan test layer: database {layer}; broker {broker}; REQUIRE_SERVICES={int(REQUIRE_SERVICES)}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests belong to the PostgreSQL layer of `make test`: on SQLite they are not
    # skipped (nothing is missing) but left to that layer.
    if _on_postgres():
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") or item.get_closest_marker("celery") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fast_and_deterministic(settings: object) -> None:
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.JOBS_BACKEND = "sync"
    cache.clear()  # cached choice lists must not leak from one test's data into the next


@pytest.fixture(autouse=True)
def _no_refresh_from_test_setup() -> Iterator[None]:
    """What a test's own code writes (factories, services called directly) does not start the chain that
    brings derived results up to date (salesplan.services.freshness): the test decides what it computes.
    Requests served to a browser run in other threads and jobs in the worker process, so what a person
    does there starts it, as in production. Tests of the chain itself use the ``auto_refresh`` fixture."""
    from salesplan.services.freshness import refresh_paused

    with refresh_paused():
        yield


@pytest.fixture
def auto_refresh() -> Iterator[None]:
    """From here on (fixtures listed before it are still set up paused), the test's own changes bring
    derived results up to date, as a person's would."""
    from salesplan.services import freshness

    paused, freshness._local.paused = getattr(freshness._local, "paused", 0), 0
    yield
    freshness._local.paused = paused


# --- The demo-like organisation most tests use ----------------------------------------------------


@pytest.fixture
def org(db: None) -> dict[str, object]:
    """A leader; team A (manager_a, rep_a1, rep_a2); team B (manager_b, rep_b1)."""
    from salesplan.tests.factories import TeamFactory, UserFactory

    leader = UserFactory(role="leader", username="leader")
    manager_a = UserFactory(role="manager", username="manager_a")
    manager_b = UserFactory(role="manager", username="manager_b")
    team_a = TeamFactory(name="Team A", manager=manager_a)
    team_b = TeamFactory(name="Team B", manager=manager_b)
    return {
        "leader": leader,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "team_a": team_a,
        "team_b": team_b,
        "rep_a1": UserFactory(role="rep", team=team_a, username="rep_a1"),
        "rep_a2": UserFactory(role="rep", team=team_a, username="rep_a2"),
        "rep_b1": UserFactory(role="rep", team=team_b, username="rep_b1"),
    }


# --- Real services --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_broker() -> str:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url:
        service_missing("Redis", "CELERY_BROKER_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing("Redis", f"{url} does not answer ({exc})")
    return url


def _worker_start(
    *, queue: str, log_path: Path, env: dict[str, str] | None = None, pool: str = "solo", own_group: bool = False
) -> subprocess.Popen:
    """A real `celery worker` process on ``queue``, reading and writing the test database; returns once it
    answers a ping. ``own_group``: in a process group of its own, so that a test can kill it whole."""
    from django.db import connection

    from salesplan.celery import app

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    name = f"{queue}-{uuid.uuid4().hex[:4]}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": app.conf.broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "salesplan",
        "worker",
        f"--pool={pool}",
        *(["--concurrency=1"] if pool == "prefork" else []),
        "--loglevel=INFO",
        "-Q",
        queue,
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_group
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}", pytrace=False)
    return process


def _worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def celery_worker(
    redis_broker: str, django_db_setup: None, django_db_blocker: object, tmp_path_factory: object
) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process on its own queue, reading and writing the test database."""
    from django.conf import settings

    from salesplan.celery import app

    if not _on_postgres():
        pytest.skip("the Celery worker tests run in the PostgreSQL layer")
    queue = f"salesplan-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    process = _worker_start(queue=queue, log_path=Path(tmp_path_factory.mktemp("celery")) / "worker.log")
    yield process
    _worker_stop(process)


@dataclass
class KillableWorkers:
    """Workers of one test, on a queue of its own (the jobs the test starts go there); see ``killable_workers``."""

    queue: str
    log_path: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> subprocess.Popen:
        """One more worker (prefork, one child: as deployed) in a process group of its own."""
        process = _worker_start(queue=self.queue, log_path=self.log_path, env=self.env, pool="prefork", own_group=True)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> float:
        """SIGKILL the whole worker, main process and pool child alike; return when (time.monotonic())."""
        os.killpg(process.pid, signal.SIGKILL)
        killed = time.monotonic()
        process.wait(timeout=10)
        return killed

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def redeliver_unacknowledged(self, job: object) -> int:
        """What Redis does once the visibility timeout of a message no worker acknowledged has passed: put it
        back on its queue (kombu's own restore, for the messages of ``job``, with the timeout taken as passed)."""
        from salesplan.celery import app

        restored = 0
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            for tag, payload in channel.client.hgetall(channel.unacked_key).items():
                message, _exchange, routing_key = json.loads(payload)
                _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                if routing_key == self.queue and kwargs.get("job_id") == job.pk:
                    channel.qos.restore_by_tag(tag, channel.client)
                    restored += 1
        return restored

    def stop(self) -> None:
        from salesplan.celery import app

        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        with app.connection_for_write() as conn:  # nothing of this test's queue is left for a later one
            channel = conn.default_channel
            channel.queue_purge(self.queue)
            channel.client.delete(f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
            for tag, payload in channel.client.hgetall(channel.unacked_key).items():
                if json.loads(payload)[2] == self.queue:
                    channel.client.zrem(channel.unacked_index_key, tag)
                    channel.client.hdel(channel.unacked_key, tag)


@pytest.fixture
def killable_workers(
    redis_broker: str, transactional_db: None, settings: object, tmp_path: Path
) -> Iterator[KillableWorkers]:
    """Real `celery worker` processes a test may SIGKILL, on a queue of its own; jobs the test starts go there.
    They and the test process take a dead job's heartbeat as late after ``KILL_HEARTBEAT_LIMIT`` seconds."""
    from salesplan.celery import app

    if not _on_postgres():
        pytest.skip("the Celery worker tests run in the PostgreSQL layer")
    queue = f"salesplan-kill-{uuid.uuid4().hex[:8]}"
    settings.JOBS_BACKEND = "celery"
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = KILL_HEARTBEAT_LIMIT
    settings.JOBS_HEARTBEAT_INTERVAL_SECONDS = KILL_HEARTBEAT_LIMIT / 4
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    workers = KillableWorkers(
        queue=queue,
        log_path=tmp_path / "workers.log",
        env={"JOBS_HEARTBEAT_TIMEOUT_SECONDS": str(KILL_HEARTBEAT_LIMIT), "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
    )
    try:
        yield workers
    finally:
        app.conf.task_default_queue = previous_queue
        workers.stop()


@pytest.fixture
def real_jobs(request: pytest.FixtureRequest, settings: object) -> str:
    """On PostgreSQL jobs go over Redis to the real worker process; on SQLite they run in the request."""
    if _on_postgres():
        request.getfixturevalue("celery_worker")
        settings.JOBS_BACKEND = "celery"
        return "celery"
    return "sync"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        service_missing("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the main thread; the ORM calls the test
    # itself makes are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# Reports every Content-Security-Policy violation of a page (a blocked inline script, eval, a foreign
# resource) to the test: the browser would otherwise only refuse it quietly.
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(
  `${e.effectiveDirective} refused ${e.blockedURI || "inline"} (${e.sourceFile || e.documentURI}:${e.lineNumber})`));
"""


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    """A browser page on the live server. Any Content-Security-Policy violation on any page it opens fails
    the test; ``page.csp_violations`` lists them as they happen."""
    from django.test.testcases import QuietWSGIRequestHandler

    # The live server writes a response's headers and body in separate sends; with Nagle's algorithm on,
    # the body waits for the browser's delayed ACK of the headers (~40 ms on every keep-alive request).
    QuietWSGIRequestHandler.disable_nagle_algorithm = True
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    violations: list[str] = []
    context.expose_binding("__cspViolation", lambda source, text: violations.append(f"{source['frame'].url}: {text}"))
    context.add_init_script(_CSP_WATCH)
    page = context.new_page()
    page.csp_violations = violations
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


def wait_for(condition: object, *, timeout: float = 60, what: str = "condition") -> object:
    """Poll ``condition()`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.", pytrace=False)


@contextlib.contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Hold a lock on ``table`` from a connection of its own, so that a job writing it waits there, in the middle
    of its final transaction, as it would behind a long statement (PostgreSQL)."""
    import psycopg2
    from django.db import connection

    db = connection.settings_dict
    side = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
    )
    try:
        with side.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN EXCLUSIVE MODE")
        yield
    finally:
        side.rollback()
        side.close()


def job_sessions(job: object) -> list[tuple[int, str | None]]:
    """The database sessions of a job's worker (PostgreSQL): (pid, what each waits for)."""
    from django.db import connection

    from salesplan.services.jobs import _session_name

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event_type FROM pg_stat_activity WHERE application_name = %s", [_session_name(job.pk)]
        )
        return cursor.fetchall()


def staging_tables() -> list[str]:
    """Every staging table an import or another job left in the database."""
    from django.db import connection

    return sorted(t for t in connection.introspection.table_names() if t.startswith(("jobstage_", "imp_")))
