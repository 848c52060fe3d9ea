"""HTTP views of account strategy and plan qualification (a panel of the account page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accountplans.selectors import account_plans_visible_to
from accountplans.services.strategy import qualification, qualification_answer, strategy_set
from accounts.models import Account, Strategy
from accounts.selectors import accounts_visible_to
from accounts.services.strategy import strategy_current, strategy_suggest
from salesplan.selectors import plan_current
from segmentation.selectors import account_icp_facts

STRATEGY_PANEL_TEMPLATE = "accountplans/partials/strategy_panel.html"


def account_strategy_panel_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The account page's strategy panel: the strategy chosen and suggested, and the six plan questions."""
    suggested, why = strategy_suggest(account, account_icp_facts(account=account, user=request.user))
    return {
        "account": account,
        "current": strategy_current(account),
        "history": account.strategies.select_related("chosen_by")[:10],
        "suggested": suggested,
        "suggested_label": Strategy(suggested).label,
        "why": why,
        "strategies": Strategy.choices,
        "qualification": qualification(account, user=request.user, plan=plan_current(request.user)),
        "account_plan": account_plans_visible_to(request.user).filter(account=account).first(),
    }


def account_strategy_panel(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    return render(request, STRATEGY_PANEL_TEMPLATE, account_strategy_panel_context(request, account))


@require_POST
def account_strategy_set(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    try:
        choice = strategy_set(
            account=account,
            strategy=request.POST.get("strategy", ""),
            user=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Strategy for {account.name}: {choice.get_strategy_display()}.")
    return redirect(account)


@require_POST
def account_qualification_answer(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    answer = {"yes": True, "no": False}.get(request.POST.get("answer", ""))
    try:
        qualification_answer(account=account, key=request.POST.get("key", ""), answer=answer, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(account)
