"""Results that know what they were computed from, and the chain of jobs that brings them up to date.

Derived results — a profile's scores, a design's placement, a plan's ranking, the stored summaries — are
written by set-based jobs. Each one records (``DerivedResult``) the versions of the inputs it read at its
start (``InputVersion``: the accounts, a profile's criteria, a design's rules, reviews, answers, and the
derived results before it). When an input changes, ``inputs_changed`` bumps its version in the same
transaction and, once that commits, asks for a refresh: one job of kind ``refresh`` (one at a time, by its
dedupe key) runs the steps that the apps register, in order — score → place → rank → summaries — and
recomputes only the results whose inputs moved.

A second change does not start a second chain. While the chain is queued, the request finds it and
returns it; while it runs, it loops until nothing is out of date (a change that lands during a step leaves
that step's result out of date, since its inputs were read at its start); and the task checks once more
after the job has ended, so a change that arrived in the last instant starts the next chain.

The core knows no step: apps register theirs from ``AppConfig.ready()`` (``derived_step_register``), so
the chain runs segmentation's work without importing it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from salesplan.models import DerivedResult, InputVersion, JobRun, User
from salesplan.selectors import visible_scope_changed

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
REFRESH_KIND = "refresh"
_MAX_ROUNDS = 3  # a chain that still finds work after three passes leaves the rest to the next one


@dataclass(frozen=True)
class DerivedTarget:
    """One derived result: its key (also the input key of the results computed from it), what it reads,
    and how it is computed."""

    key: str
    label: str
    depends: tuple[str, ...]
    run: Callable[[Progress], Any]


@dataclass(frozen=True)
class DerivedStep:
    """A step of the chain: the derived results it keeps, found afresh each time (a newly published profile
    or an applied design brings new ones). Their keys start with the step's name: ``score:12``."""

    name: str
    label: str
    order: int
    targets: Callable[[], list[DerivedTarget]]
    # Whether a user may see the object of a result ("12" of "score:12"), read through the app's selectors.
    visible_to: Callable[[User, str], bool] = lambda _user, _pk: False


_STEPS: dict[str, DerivedStep] = {}
_local = threading.local()


def derived_step_register(step: DerivedStep) -> None:
    """Called from an app's ``ready()``."""
    _STEPS[step.name] = step


def derived_steps() -> list[DerivedStep]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


# --- Inputs ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def refresh_paused() -> Iterator[None]:
    """Inputs still change their versions, but no chain is requested: for work that computes its own
    derived results afterwards (the demo) and for the chain itself."""
    depth = getattr(_local, "paused", 0)
    _local.paused = depth + 1
    try:
        yield
    finally:
        _local.paused = depth


def _paused() -> bool:
    return getattr(_local, "paused", 0) > 0


def inputs_changed(*keys: str) -> None:
    """Record that these inputs changed (inside the caller's transaction) and, after it commits, bring the
    results computed from them up to date."""
    now = timezone.now()
    for key in dict.fromkeys(keys):
        if InputVersion.objects.filter(key=key).update(version=F("version") + 1, changed_at=now):
            continue
        try:
            with transaction.atomic():
                InputVersion.objects.create(key=key, version=1, changed_at=now)
        except IntegrityError:  # another transaction created it first
            InputVersion.objects.filter(key=key).update(version=F("version") + 1, changed_at=now)
    visible_scope_changed()  # versions a user object already read in this process are read again
    if not _paused():
        _on_commit_once(refresh_request)


def _on_commit_once(func: Callable[[], Any]) -> None:
    # One import or review may change several inputs; one request after the commit is enough.
    if connection.in_atomic_block and any(entry[1] is func for entry in connection.run_on_commit):
        return
    transaction.on_commit(func)


def input_versions(keys: Iterable[str]) -> dict[str, int]:
    """The current version of each key (0 for an input that never changed), in one query."""
    keys = list(dict.fromkeys(keys))
    found = dict(InputVersion.objects.filter(key__in=keys).values_list("key", "version"))
    return {key: found.get(key, 0) for key in keys}


def input_version(key: str) -> int:
    return input_versions([key])[key]


# --- Derived results ------------------------------------------------------------------------------------


def derived_run(target: DerivedTarget, *, progress: Progress | None = None) -> Any:
    """Compute one derived result now and record what it was computed from.

    The inputs are read before the work starts: a change that lands while it runs leaves the result out of
    date, to be computed again. Its own version is bumped, so the results computed from it follow.
    """
    with _computing(target.key):
        inputs = input_versions(target.depends)
        started = time.perf_counter()
        result = target.run(progress or (lambda _p, _m: None))
    DerivedResult.objects.update_or_create(
        key=target.key,
        defaults={
            "label": target.label[:200],
            "inputs": inputs,
            "computed_at": timezone.now(),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
    inputs_changed(target.key)
    return result


@contextlib.contextmanager
def _computing(key: str) -> Iterator[None]:
    """One computation of a result at a time (the chain and a page's button may ask at once): on PostgreSQL
    an advisory lock on its key, for the transaction when inside one, else for the session. (SQLite already
    runs one writer at a time.)"""
    if connection.vendor != "postgresql":
        yield
        return
    scoped = connection.in_atomic_block
    with connection.cursor() as cursor:
        lock = "pg_advisory_xact_lock" if scoped else "pg_advisory_lock"
        cursor.execute(f"SELECT {lock}(hashtext(%s))", [f"salesplan.derived:{key}"])
    try:
        yield
    finally:
        if not scoped:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"salesplan.derived:{key}"])
            except DatabaseError:  # the connection is gone: so is its lock
                logger.warning("Could not release the lock of %s", key)


def _is_current(target: DerivedTarget, record: DerivedResult | None) -> bool:
    return record is not None and record.inputs == input_versions(target.depends)


def derived_out_of_date() -> list[DerivedTarget]:
    """Every registered result that is missing or older than one of its inputs, in chain order."""
    targets = [t for step in derived_steps() for t in step.targets()]
    records = DerivedResult.objects.in_bulk([t.key for t in targets])
    return [t for t in targets if not _is_current(t, records.get(t.key))]


def derived_target(key: str) -> DerivedTarget | None:
    """The registered result with this key, if it exists now."""
    step = _STEPS.get(key.split(":", 1)[0])
    return next((t for t in step.targets() if t.key == key), None) if step else None


# --- The chain ------------------------------------------------------------------------------------------


def refresh_job_active() -> JobRun | None:
    return JobRun.objects.filter(dedupe_key=REFRESH_KIND, status__in=JobRun.ACTIVE).first()


def refresh_request(*, user: User | None = None) -> JobRun | None:
    """Start the chain if a result is out of date (or return the chain already queued or running)."""
    from salesplan.services.jobs import job_start

    active = refresh_job_active()
    if active is not None:
        return active
    if not derived_out_of_date():
        return None
    # A short wait lets a burst of changes (a rep answering question after question) share one chain.
    delay = 0 if user is not None else settings.REFRESH_DELAY_SECONDS
    job, _created = job_start(kind=REFRESH_KIND, started_by=user, dedupe_key=REFRESH_KIND, countdown=delay)
    return job


def refresh_run(*, job: JobRun | None = None) -> dict[str, Any]:
    """The chain job: each step in order, each out-of-date result of it recomputed, until all are current."""
    from salesplan.services.jobs import JobError

    steps = derived_steps()
    done: list[str] = []
    failed: dict[str, str] = {}  # key -> why: what reads a failed result waits for it, the rest goes on
    with refresh_paused():
        for _round in range(_MAX_ROUNDS):
            ran = False
            for index, step in enumerate(steps):
                for target in step.targets():
                    if target.key in failed or failed.keys() & set(target.depends):
                        continue
                    if _is_current(target, DerivedResult.objects.filter(key=target.key).first()):
                        continue
                    progress = _step_progress(job, index=index, steps=len(steps), label=target.label)
                    progress(0, "starting")
                    try:
                        derived_run(target, progress=progress)
                    except Exception as exc:  # one result that cannot be computed must not stop the others
                        logger.exception("Could not compute %s", target.key)
                        failed[target.key] = f"{target.label}: {_reason(exc)}"
                        continue
                    done.append(target.label)
                    ran = True
            if not ran:
                break
    if failed:
        kept = f" The rest was brought up to date ({len(done)})." if done else ""
        raise JobError(f"{' · '.join(failed.values())}. Its previous results stay as they were.{kept}")
    return {"results_brought_up_to_date": len(done), "what": "; ".join(done) or "nothing was out of date"}


def _reason(exc: Exception) -> str:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or type(exc).__name__


def _step_progress(job: JobRun | None, *, index: int, steps: int, label: str) -> Progress:
    from salesplan.services.jobs import job_progress

    def progress(pct: int, message: str) -> None:
        job_progress(
            job=job,
            processed=int(100 * index / steps) + int(pct / steps),
            total=100,
            message=f"Step {index + 1} of {steps}: {label} · {message}",
        )

    return progress


def refresh_after(job: JobRun | None) -> None:
    """After a chain ended well: a change that arrived as it finished starts the next one. (After a failure
    nothing restarts by itself, or a failing step would loop; the next change or a click retries.)"""
    if job is not None and job.status == JobRun.Status.SUCCEEDED:
        refresh_request()


# --- What pages show ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How current one derived result is, for the "as of …" line of its page."""

    key: str
    noun: str  # what the result is, for "Scores as of …"
    computed_at: datetime | None
    out_of_date: bool
    changed_at: datetime | None  # when its newest input changed
    updating: JobRun | None  # the chain job bringing it up to date
    failed: JobRun | None  # the last chain job, when it failed and this result is still out of date

    @property
    def state(self) -> str:
        if not self.out_of_date:
            return "current"
        if self.updating is not None:
            return "updating"
        return "failed" if self.failed is not None else "out_of_date"


ALL_KEY = "all"  # every registered result at once, for pages after a change (an import's report)


def derived_freshness(key: str) -> Freshness | None:
    """How current the result ``key`` is, in two or three small queries (its record, its inputs' versions,
    the chain job when it is out of date); None when no such result exists.

    A recorded result is compared on the inputs it recorded: whatever would change what it reads (a new
    profile published, another design) bumps one of those too. Only a result never computed is looked up
    among the registered ones, to know whether it exists at all.
    """
    if key == ALL_KEY:
        return _freshness_of_all()
    record = DerivedResult.objects.filter(key=key).first()
    if record is not None:
        depends: tuple[str, ...] = tuple(record.inputs)
    else:
        target = derived_target(key)
        if target is None:
            return None
        depends = target.depends
    versions = InputVersion.objects.filter(key__in=depends).values_list("key", "version", "changed_at")
    current = {k: version for k, version, _at in versions}
    current = {k: current.get(k, 0) for k in depends}
    out_of_date = record is None or record.inputs != current
    changed = [at for key, version, at in versions if record is None or record.inputs.get(key) != version]
    updating, failed = _chain_jobs(out_of_date)
    step = _STEPS.get(key.split(":", 1)[0])
    return Freshness(
        key=key,
        noun=step.label if step else (record.label if record else key),
        computed_at=record.computed_at if record else None,
        out_of_date=out_of_date,
        changed_at=max(changed) if changed else None,
        updating=updating,
        failed=failed,
    )


def derived_freshness_for(user: User, key: str) -> Freshness | None:
    """``derived_freshness`` of a result whose object the user may see (None otherwise, as if it did not
    exist); every result at once only for a leader."""
    if key == ALL_KEY:
        return derived_freshness(key) if user.is_leader else None
    name, _, pk = key.partition(":")
    step = _STEPS.get(name)
    if step is None or not pk.isdigit() or not step.visible_to(user, pk):
        return None
    return derived_freshness(key)


def _chain_jobs(out_of_date: bool) -> tuple[JobRun | None, JobRun | None]:
    """(the chain job bringing things up to date, the last chain job if it failed) when out of date."""
    if not out_of_date:
        return None, None
    last = JobRun.objects.filter(kind=REFRESH_KIND).order_by("-created_at", "-pk").first()
    if last is not None and last.is_active:
        return last, None
    return None, last if last is not None and last.status == JobRun.Status.FAILED else None


def _freshness_of_all() -> Freshness:
    """Every registered result: out of date if one is, and as of the oldest one."""
    stale = derived_out_of_date()
    targets = [t.key for step in derived_steps() for t in step.targets()]
    computed = list(DerivedResult.objects.filter(key__in=targets).values_list("computed_at", flat=True))
    updating, failed = _chain_jobs(bool(stale))
    return Freshness(
        key=ALL_KEY,
        noun=", ".join(step.label for step in derived_steps()).capitalize() or "Results",
        computed_at=min(computed) if computed else None,
        out_of_date=bool(stale),
        changed_at=None,
        updating=updating,
        failed=failed,
    )
