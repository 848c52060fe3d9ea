"""Benchmark: server time of the ICP pages at scale, on the database bench/score_accounts.py leaves behind.

    .venv/bin/python bench/score_accounts.py --rows 1000000      # first: a million scored accounts
    .venv/bin/python bench/icp_pages.py [--repeat 5]

Times each page through Django's test client (server time, no network or browser), for a leader (every
account) and for a rep owning one account in 200, and writes the medians to docs/benchmarks.md (section
"icp-pages"). The reference is the bare SQL of the page's main query, timed in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_env import django_production_setup  # noqa: E402
from bench.report import report_write  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/salesplan_bench_score")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    django_production_setup(URL)
    from django.db import connection
    from django.test import Client

    from accounts.models import Account
    from salesplan.models import User
    from segmentation.models import IdealCustomerProfile
    from segmentation.services.icp import icp_summary_refresh

    icp = IdealCustomerProfile.objects.order_by("pk").first()
    if icp is None or not icp.scored_at:
        raise SystemExit("Run bench/score_accounts.py first: it leaves a million scored accounts here.")
    IdealCustomerProfile.objects.filter(pk=icp.pk).update(status="published")
    icp.plan.status = "published"
    icp.plan.save()
    if not icp.summary:
        icp_summary_refresh(icp)
    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": "leader"})
    rep, _ = User.objects.get_or_create(username="bench_rep", defaults={"role": "rep"})
    if not Account.objects.filter(owner=rep).exists():
        ids = list(Account.objects.order_by("id").values_list("id", flat=True)[::200])
        Account.objects.filter(id__in=ids).update(owner=rep)
    total = icp.scored_count

    def median_ms(fn) -> float:
        times = []
        for _ in range(args.repeat + 1):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times[1:]) * 1000  # the first run warms caches

    def bare_page(offset: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.*, a.name FROM segmentation_accountscore s JOIN accounts_account a ON a.id = s.account_id "
                "WHERE s.icp_id = %s ORDER BY s.rated DESC NULLS LAST, s.score DESC NULLS LAST, "
                "s.coverage DESC NULLS LAST, s.account_id "
                "LIMIT 50 OFFSET %s",
                [icp.pk, offset],
            )
            cursor.fetchall()

    rows = []
    matrix = f"/segmentation/icp/{icp.pk}/matrix/"
    for user, label in ((leader, "leader"), (rep, "rep")):
        client = Client()
        client.force_login(user)
        for path, what in (
            (matrix, "matrix, first page"),
            (f"{matrix}?page=100", "matrix, page 100"),
            (f"{matrix}?tier=B", "matrix filtered to tier B"),
            (f"{matrix}?tier=N", "matrix filtered to Needs data"),
            (f"/segmentation/icp/{icp.pk}/", "profile page with charts"),
            ("/", "home"),
        ):

            def get(path: str = path, client: Client = client) -> None:
                assert client.get(path).status_code == 200

            rows.append((f"{label}: {what}", f"{median_ms(get):,.0f} ms", ""))
    reference = median_ms(lambda: bare_page(0))
    reference_deep = median_ms(lambda: bare_page(4950))
    rows.append(
        ("bare SQL of the matrix page (first / page 100)", f"{reference:,.0f} / {reference_deep:,.0f} ms", "reference")
    )
    title = f"ICP pages over {total:,} scored accounts, median of {args.repeat} requests"
    print(title)
    for what, figure, versus in rows:
        print(f"  {what:<52} {figure:>16}   {versus}")
    if not args.no_write:
        report_write(
            section="icp-pages", title=title, command=f"python bench/icp_pages.py --repeat {args.repeat}", rows=rows
        )


if __name__ == "__main__":
    main()
