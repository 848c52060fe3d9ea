"""Benchmark: territories, TAM and prioritization over a million accounts, each beside its bare SQL.

    .venv/bin/python bench/score_accounts.py --rows 1000000     # first: a million scored accounts
    .venv/bin/python bench/segmentation.py [--repeat 3]

On the database bench/score_accounts.py leaves (BENCH_DATABASE_URL, default salesplan_bench_score) it
builds a design of 2 regions, 7 areas (one per state) and 28 territories (state × revenue band) with a
rep each, then measures in the same run:

* territory assignment (``territories_apply``) beside a bare ``INSERT … SELECT CASE …`` into a bare table;
* the TAM run (``tam_run``) beside the bare ``GROUP BY GROUPING SETS`` query (target ≤ 1.5×);
* prioritization (``prioritize``) beside the bare window-function ``INSERT … SELECT`` (target ≤ 2×);
* a rep's "My territory" page, server time, pages near the start, middle and end (target p95 < 100 ms).

Writes docs/benchmarks.md (section "segmentation").
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
STATES = ["NY", "CA", "TX", "IL", "FL", "WA", "MA"]
BANDS = [(None, 10**7), (10**7, 5 * 10**7), (5 * 10**7, 2 * 10**8), (2 * 10**8, None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    django_production_setup(URL)
    from django.db import connection, transaction
    from django.test import Client

    from salesplan.models import TerritoryDesign, User
    from segmentation.models import IdealCustomerProfile
    from segmentation.services.priority import prioritize, priority_sql
    from segmentation.services.tam import tam_model_default, tam_run, tam_sql
    from segmentation.services.territories import (
        design_create,
        design_publish,
        rule_create,
        territories_apply,
        territory_create,
        territory_placement_sql,
        territory_rep_set,
    )

    icp = IdealCustomerProfile.objects.order_by("pk").first()
    if icp is None or not icp.scored_at:
        raise SystemExit("Run bench/score_accounts.py first: it leaves a million scored accounts here.")
    plan = icp.plan
    plan.status = "published"
    plan.save()
    IdealCustomerProfile.objects.filter(pk=icp.pk).update(status="published")
    icp.refresh_from_db()
    TerritoryDesign.objects.filter(plan=plan).delete()
    design = design_create(plan=plan, user=None, name="Bench territories")
    reps = []
    for r, region_states in enumerate((STATES[:4], STATES[4:])):
        region = territory_create(design=design, level="region", name=f"Region {r + 1}")
        for state in region_states:
            area = territory_create(design=design, level="area", name=f"Area {state}", parent=region)
            for low, high in BANDS:
                name = f"{state} {low or 0}-{high or 'max'}"
                territory = territory_create(design=design, level="territory", name=name, parent=area)
                rep, _ = User.objects.get_or_create(
                    username=f"bench_{name.replace(' ', '_')}", defaults={"role": "rep"}
                )
                territory_rep_set(territory=territory, rep=rep)
                reps.append(rep)
                rule_create(design=design, territory=territory, states=[state], revenue_min=low, revenue_max=high)
    model = tam_model_default(plan)
    placement, params = territory_placement_sql(list(design.rules.select_related("territory")))

    def timed(fn) -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    def bare(sql: str, sql_params: list, create: str) -> float:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("DROP TABLE IF EXISTS bench_bare")
            cursor.execute(create)
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_bare")
        return elapsed

    def bare_query(sql: str, sql_params: list) -> float:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            elapsed = time.perf_counter() - started
            cursor.execute("RESET jit")
        return elapsed

    results: dict[str, list[float]] = {k: [] for k in ("assign", "assign_bare", "tam", "tam_bare", "rank", "rank_bare")}
    for run in range(args.repeat):
        results["assign_bare"].append(
            bare(
                f"INSERT INTO bench_bare {placement}",
                params,
                "CREATE TABLE bench_bare (account_id bigint, territory_id bigint)",
            )
        )
        results["assign"].append(timed(lambda: territories_apply(design)))
        results["tam_bare"].append(bare_query(*tam_sql(model, icp, postgres=True)[0]))
        results["tam"].append(timed(lambda: tam_run(model=model, icp=icp, user=None)))
        if run == 0:
            design.refresh_from_db()
            design_publish(design)
        sql, sql_params = priority_sql(design=design, icp=icp, model=model)
        results["rank_bare"].append(
            bare(
                f"INSERT INTO bench_bare SELECT * FROM ({sql}) r",
                sql_params,
                "CREATE TABLE bench_bare (account_id bigint, territory_id bigint, area_id bigint, region_id bigint, "
                "list text, score numeric, tier text, computed_tier text, strategy text, chosen boolean, "
                "potential numeric, r1 bigint, r2 bigint, r3 bigint)",
            )
        )
        results["rank"].append(timed(lambda: prioritize(plan=plan, design=design, icp=icp, model=model)))
        print("  run", run + 1, {k: f"{v[-1]:.2f}" for k, v in results.items()}, flush=True)

    # A rep's list: pages near the start, the middle and the end of their territory, in a steady state
    # (the writes above are vacuumed first, so autovacuum does not run during the measurement).
    with connection.cursor() as cursor:
        for table in ("segmentation_accountpriority", "accounts_accountterritory", "segmentation_tambreakdown"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    rep = max(reps, key=lambda u: u.territory_roles.first().territory.accounts.count())
    client = Client()
    client.force_login(rep)
    pages_measured = {}
    for listed in ("rank", "data"):  # the ranked growth targets, and the (larger) list of those needing data
        url = f"/segmentation/my-territory/?list={listed}"
        count = client.get(url).context["page"].paginator.count
        pages = max(1, (count + 49) // 50)
        samples = []
        for page in (1, 2, pages // 2, pages // 2 + 1, pages - 1, pages):
            client.get(f"{url}&page={max(page, 1)}")  # warm-up, not counted
            for _ in range(10):
                started = time.perf_counter()
                assert client.get(f"{url}&page={max(page, 1)}").status_code == 200
                samples.append((time.perf_counter() - started) * 1000)
        pages_measured[listed] = (count, pages, statistics.quantiles(samples, n=20)[-1], statistics.median(samples))

    med = {k: statistics.median(v) for k, v in results.items()}
    # Each ratio is taken within its run (the job beside the bare query of the same run), then the median, as
    # bench/score_accounts.py does: on a shared machine one query's time moves by ±50 % from run to run.
    ratio = {
        k: statistics.median(j / b for j, b in zip(results[k], results[f"{k}_bare"], strict=True))
        for k in ("assign", "tam", "rank")
    }
    rows = [
        ("territory assignment, 28 rules (one transaction)", f"{med['assign']:.2f} s",
         f"{ratio['assign']:.2f}× the bare INSERT … SELECT CASE of the same run ({med['assign_bare']:.2f} s)"),
        ("TAM run (TAM, SAM, SOM, 5 breakdowns, kept)", f"{med['tam']:.2f} s",
         f"{ratio['tam']:.2f}× the bare GROUPING SETS query of the same run ({med['tam_bare']:.2f} s; target ≤ 1.5×)"),
        ("prioritization (every list; ranks in territory, area, region)", f"{med['rank']:.2f} s",
         f"{ratio['rank']:.2f}× the bare window query of the same run ({med['rank_bare']:.2f} s; target ≤ 2×)"),
        *((f"rep's My territory, {label} ({count:,} accounts, pages 1 to {pages:,})", f"p95 {p95:.0f} ms",
           f"median {median:.0f} ms (target p95 < 100 ms)")
          for label, (count, pages, p95, median) in zip(("ranked", "needs data"), pages_measured.values(),
                                                        strict=True)),
    ]  # fmt: skip
    title = f"Territories, TAM and prioritization over {icp.scored_count:,} accounts, median of {args.repeat} runs"
    print(title)
    for what, figure, versus in rows:
        print(f"  {what:<58} {figure:>10}   {versus}")
    if not args.no_write:
        report_write(
            section="segmentation",
            title=title,
            command=f"python bench/segmentation.py --repeat {args.repeat}",
            rows=rows,
        )


if __name__ == "__main__":
    main()
