"""Where a page sends the user back to: the one check every app's ``next=`` goes through."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def site_url_or(request: HttpRequest, url: str, fallback: str) -> str:
    """``url`` when it is a page of this site, else ``fallback``.

    Off-site addresses (``https://evil.example/``, ``//evil.example``, ``/\\evil.example``) fall back, and so
    does plain http when the request came over https.
    """
    url = (url or "").strip()
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else fallback


def next_url_or(request: HttpRequest, fallback: str) -> str:
    """The page a form asks to go back to (``next``, posted or in the query) when it is on this site."""
    return site_url_or(request, request.POST.get("next") or request.GET.get("next") or "", fallback)
