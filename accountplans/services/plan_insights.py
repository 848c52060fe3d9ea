"""What a plan tells its writer: single-threaded relationships, missing roles, the return on the sales time
it plans, competitors that threaten, the budget window. Pure functions of a plan's rows, so the plan
page, the print view and the review queue show the same findings."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accountplans.models import (
    ENGAGED_WITHIN_DAYS,
    AccountPlan,
    ActionStatus,
    ContactRole,
    Influence,
    PlanAction,
    PlanCompetitor,
    PlanContact,
    PlanObjective,
    Threat,
)

KEY_ROLES = (ContactRole.ECONOMIC, ContactRole.CHAMPION, ContactRole.TECHNICAL)


@dataclass
class Finding:
    level: str  # "danger", "warning" or "info" (Bootstrap's alert colours)
    text: str


def contact_engaged(contact: PlanContact, today: datetime.date) -> bool:
    """Engaged: we spoke to them within the last 90 days."""
    return contact.last_contact is not None and (today - contact.last_contact).days <= ENGAGED_WITHIN_DAYS


def contact_decides(contact: PlanContact) -> bool:
    """A decision maker: the economic buyer, or anyone of high influence on the decision."""
    return contact.role == ContactRole.ECONOMIC or contact.influence == Influence.HIGH


def relationship_findings(contacts: Sequence[PlanContact], today: datetime.date) -> list[Finding]:
    """Warnings about the buying decision team: single-threaded, no engaged decision maker, missing roles,
    an unowned blocker."""
    if not contacts:
        return [Finding("danger", "Nobody is mapped yet: add the people who decide, use and influence the purchase.")]
    findings = []
    engaged = [c for c in contacts if contact_engaged(c, today)]
    if len(engaged) <= 1:
        who = f"only {engaged[0].name} is" if engaged else "nobody is"
        findings.append(
            Finding(
                "danger",
                f"Single-threaded: {who} engaged (spoken to in the last {ENGAGED_WITHIN_DAYS} days). "
                "If that one person leaves or goes quiet, the plan stalls.",
            )
        )
    if not any(contact_decides(c) for c in engaged):
        findings.append(
            Finding("danger", "No engaged decision maker: nobody engaged is the economic buyer or of high influence.")
        )
    present = {c.role for c in contacts}
    missing = [ContactRole(role).label.lower() for role in KEY_ROLES if role not in present]
    if missing:
        findings.append(Finding("warning", "Key roles missing: " + ", ".join(missing) + "."))
    for contact in contacts:
        if contact.role == ContactRole.BLOCKER and contact.relationship_owner_id is None:
            findings.append(
                Finding("warning", f"{contact.name} is a blocker and nobody on our side owns that relationship.")
            )
        elif contact_decides(contact) and contact.sentiment < 0:
            findings.append(
                Finding("warning", f"{contact.name} decides and is {contact.get_sentiment_display().lower()}.")
            )
    return findings


@dataclass
class OrgNode:
    contact: PlanContact
    engaged: bool
    children: list[OrgNode] = field(default_factory=list)


def org_chart(contacts: Sequence[PlanContact], today: datetime.date) -> list[OrgNode]:
    """The contacts as trees by reports-to; a contact whose manager is not mapped (or who is in a loop)
    starts a tree of their own."""
    nodes = {c.pk: OrgNode(c, contact_engaged(c, today)) for c in contacts}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.contact.reports_to_id)
        if parent is None or _reports_in_loop(node.contact, nodes):
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def _reports_in_loop(contact: PlanContact, nodes: dict[int, OrgNode]) -> bool:
    seen = {contact.pk}
    current = nodes.get(contact.reports_to_id)
    while current is not None:
        if current.contact.pk in seen:
            return True
        seen.add(current.contact.pk)
        current = nodes.get(current.contact.reports_to_id)
    return False


@dataclass
class GrowthSummary:
    target: int
    hours: Decimal
    rosti: Decimal | None  # $ of expected sales per planned sales hour
    findings: list[Finding]
    by_objective: list[dict[str, Any]]


def growth_summary(
    objectives: Sequence[PlanObjective],
    actions: Sequence[PlanAction],
    today: datetime.date,
    *,
    wallet: int | None = None,
    current_sales: int | None = None,
) -> GrowthSummary:
    """The expected return (objectives' targets) against the planned sales time (actions' hours), and what
    the targets would do to our share of the account's category spend."""
    target = sum(o.target for o in objectives)
    hours = sum((a.hours for a in actions), Decimal(0))
    findings = []
    rows = []
    for objective in objectives:
        own = [a for a in actions if a.objective_id == objective.pk]
        own_hours = sum((a.hours for a in own), Decimal(0))
        rows.append(
            {
                "objective": objective,
                "actions": own,
                "hours": own_hours,
                "rosti": (Decimal(objective.target) / own_hours).quantize(Decimal(1)) if own_hours else None,
            }
        )
        if not own:
            findings.append(Finding("warning", f"“{objective.title}” has no actions: how will it be won?"))
    loose = [a for a in actions if a.objective_id is None]
    if loose:
        rows.append(
            {"objective": None, "actions": loose, "hours": sum((a.hours for a in loose), Decimal(0)), "rosti": None}
        )
    overdue = [a for a in actions if a.status != ActionStatus.DONE and a.due < today]
    if overdue:
        findings.append(Finding("danger", f"{len(overdue)} action{'s' if len(overdue) > 1 else ''} overdue."))
    unowned = [a for a in actions if a.owner_id is None]
    if unowned:
        findings.append(
            Finding("warning", f"{len(unowned)} action{'s have' if len(unowned) > 1 else ' has'} no owner.")
        )
    if objectives and not actions:
        findings.append(Finding("warning", "No sales time planned: add the actions that win the objectives."))
    findings += _wallet_findings(target, wallet, current_sales)
    rosti = (Decimal(target) / hours).quantize(Decimal(1)) if hours else None
    return GrowthSummary(target=target, hours=hours, rosti=rosti, findings=findings, by_objective=rows)


def _wallet_findings(target: int, wallet: int | None, current_sales: int | None) -> list[Finding]:
    if not target or not wallet:
        return []
    sales = current_sales or 0
    room = wallet - sales
    if target > room:
        return [
            Finding(
                "warning",
                f"The objectives add up to ${target:,.0f}, more than the ${max(room, 0):,.0f} of its category "
                "spend we do not win yet: check the targets or the wallet estimate.",
            )
        ]
    before, after = sales * 100 / wallet, (sales + target) * 100 / wallet
    return [
        Finding(
            "info", f"Won, these objectives take our share of its category spend from {before:.0f}% to {after:.0f}%."
        )
    ]


def competition_findings(competitors: Sequence[PlanCompetitor], our_share_pct: float | None) -> list[Finding]:
    findings = []
    high = [c.name for c in competitors if c.threat == Threat.HIGH]
    if high:
        findings.append(Finding("danger", "High threat: " + ", ".join(high) + ". Each needs a plan to win against it."))
    for competitor in competitors:
        if competitor.threat == Threat.HIGH and not competitor.our_response:
            findings.append(Finding("warning", f"No answer to {competitor.name} yet: say how we win against it."))
    shares = sum(c.share_pct or 0 for c in competitors) + (our_share_pct or 0)
    if shares > 100:
        findings.append(Finding("warning", f"Shares add up to {shares:.0f}% with ours: check the competitors' shares."))
    return findings


def buying_findings(plan: AccountPlan, today: datetime.date) -> list[Finding]:
    findings = []
    if plan.budget_month:
        year = today.year if plan.budget_month >= today.month else today.year + 1
        budget = datetime.date(year, plan.budget_month, 1)
        days = (budget - today).days
        level = "warning" if days <= 60 else "info"
        findings.append(
            Finding(level, f"Its budget is set in {budget:%B %Y}: {days} days to shape it. Be in before then.")
        )
    if plan.decision_date and plan.decision_date < today:
        findings.append(Finding("warning", f"The expected decision date ({plan.decision_date:%b %-d, %Y}) has passed."))
    return findings


def plan_completeness(plan: AccountPlan, counts: dict[str, int]) -> list[tuple[str, bool]]:
    """(section label, written?) for the progress bar at the top of the plan."""
    return [
        ("Needs", bool(plan.needs.strip())),
        ("Buying process", bool(plan.buying_process.strip() or plan.decision_date or plan.budget_month)),
        ("Relationship map", counts.get("contacts", 0) > 0),
        ("SWOT", any(getattr(plan, f).strip() for f in ("strengths", "weaknesses", "opportunities", "threats"))),
        ("Competitors", counts.get("competitors", 0) > 0),
        ("Growth plan", counts.get("objectives", 0) > 0 and counts.get("actions", 0) > 0),
    ]
