"""The kinds of background job: a registry the apps fill from their ``ready()``, so the core runs their jobs
without importing the apps above it. Apart from the job machinery (salesplan.services.jobs) so that the job
model can name its kind without importing the machinery that imports the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from celery import Task

    from salesplan.models import JobRun


@dataclass(frozen=True)
class JobKind:
    """A kind of background job: its label on screen, the Celery task that runs it, who may start it."""

    key: str
    label: str
    task: Task
    # Where the result is shown once the job succeeded, and the words of the link.
    result_url: Callable[[JobRun], str | None] | None = None
    result_link_text: str = ""
    leader_only: bool = True
    describe: dict[str, str] = field(default_factory=dict)
    # Called when a job of the kind was interrupted: puts the kind's own records right and says, in a
    # sentence for the job's page, what became of the data (default: _KEPT_DEFAULT).
    on_interrupted: Callable[[JobRun], str] | None = None
    # How "Run again" starts an interrupted job anew, ``start_again(job=…, user=…) -> JobRun`` (the kind's
    # own start service); by default the same kind with the same parameters and key.
    start_again: Callable[..., JobRun] | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind_register(kind: JobKind) -> None:
    """Called from an app's ``ready()``: the core runs jobs without importing the apps above it."""
    _KINDS[kind.key] = kind


def job_kind_get(key: str) -> JobKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"Unknown job kind {key!r}; registered: {', '.join(sorted(_KINDS))}.") from None


def job_kind_find(key: str) -> JobKind | None:
    return _KINDS.get(key)


def job_kind_label(key: str) -> str:
    kind = _KINDS.get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()


def job_kind_choices() -> list[tuple[str, str]]:
    return sorted(((k.key, k.label) for k in _KINDS.values()), key=lambda choice: choice[1])
