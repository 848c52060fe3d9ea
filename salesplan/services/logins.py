"""Failed sign-ins: how they are counted and throttled (django-axes), who is locked out, and lifting it.

Two limits, both over the last ``AXES_COOLOFF_TIME``:

- ``AXES_FAILURE_LIMIT`` (10) failures for one username from one address lock that username out *from
  that address*: someone guessing a password is stopped, yet cannot lock a colleague out of the office by
  typing their username wrong from elsewhere;
- ``LOGIN_ADDRESS_FAILURE_LIMIT`` (50) failures from one address, whatever the usernames, lock the address:
  one machine trying a few passwords on every username is stopped too, while an office behind one address
  can still mistype.

A lock-out ends by itself once no failure has come for the cool-off time, or when a sales leader unlocks the
person (the People page), or with ``manage.py axes_reset_username NAME`` / ``axes_reset_ip ADDRESS``. Each
failure and each lock-out is logged (logger ``axes``) and kept in the database (the admin's "Access
attempts").
"""

from __future__ import annotations

import ipaddress
import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from salesplan.models import User

log = logging.getLogger(__name__)


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    # One row per (username, address, browser): a guesser who changes browser adds rows, not a fresh count.
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler, with the looser limit per address beside the one per username and address.

    Axes compares one number with one limit; the address's failures are expressed on the scale of the
    username's limit so that the one comparison applies both (50 failures from an address count as 10)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        from_address = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        )
        for_username = _failures(from_address.filter(username=get_client_username(request, credentials)))
        scaled = _failures(from_address) * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(for_username, scaled)

    def user_logged_in(self, sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
        """The right password forgives that person's own failures from that address, and only those: a
        guesser who signs in to an account of their own between guesses keeps the address's count."""
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=request.axes_ip_address).delete()


def login_address_locked(request: HttpRequest) -> bool:
    """Whether sign-ins from the request's address are paused for the address as a whole (many usernames
    tried), rather than for one username: unlocking a person does not lift it."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return False
    recent = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request))
    return _failures(recent) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def client_ip(request: HttpRequest) -> str | None:
    """The address a sign-in comes from: behind ``TRUSTED_PROXY_COUNT`` proxies, the address the outermost
    one saw (counted from the right of X-Forwarded-For, which a client cannot forge past that proxy);
    otherwise the connection's own."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    address = forwarded[-hops] if hops and len(forwarded) >= hops else request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


def login_locked_usernames(*, usernames: list[str]) -> set[str]:
    """Which of ``usernames`` are locked out now, from at least one address (one query)."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=threshold)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def login_unlock(*, user: User, by: User) -> int:
    """Forget the failed sign-ins of ``user`` from every address, so they can sign in at once.

    Returns how many records were removed; the lifting is logged with who did it."""
    removed = reset(username=user.username)
    log.warning(
        "Sign-in lock-out of %r lifted by %r (%d records of failures removed).", user.username, by.username, removed
    )
    return removed
