"""Benchmark: score N accounts against the 14-criterion ICP template on PostgreSQL, beside the bare query.

    .venv/bin/python bench/score_accounts.py [--rows 1000000] [--repeat 3] [--answered 0.05]

On a scratch database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/salesplan_bench_score,
dropped and re-created) it generates N accounts in SQL (lognormal revenue, verticals, states, wallets) and
answers to the eight questions for a share of them, then measures in the same run:

* the project's scoring job (``icp_score_all``: one transaction that deletes the profile's previous scores
  and inserts the new ones into the indexed scores table), first scoring and re-scoring;
* the reference: one bare ``INSERT … SELECT`` computing the same expressions into a bare table.

Target (issue 4): within 2× of the bare query. Writes the table to docs/benchmarks.md (section "scoring").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import report_write  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/salesplan_bench_score")


def _fresh_database() -> None:
    parts = urlparse(URL)
    name = parts.path.lstrip("/")
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1", "PGPORT": str(parts.port or 5432),
           "PGUSER": parts.username or "postgres", "PGDATABASE": "postgres"}  # fmt: skip
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-q", "-c", sql], env=env, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": URL, "DEBUG": "True"},
        check=True,
    )


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DEBUG", "True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")
    import django

    django.setup()


def _generate(rows: int, answered: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM accounts_vertical")
        verticals = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO accounts_account (name, domain, website, industry, vertical_id, annual_revenue, employees, "
            "country, state, city, postal_code, ownership, ticker, founded_year, lifecycle, current_sales, wallet, "
            "source, name_key, created_at, updated_at) "
            "SELECT 'Bench company ' || g, 'bench' || g || '.com', '', 'Bench', "
            "  CASE WHEN g %% 50 = 0 THEN NULL ELSE (%s::bigint[])[1 + g %% %s] END, r.revenue, "
            "  CASE WHEN g %% 20 = 0 THEN NULL ELSE greatest(1, (r.revenue / 250000)::bigint) END, "
            "  (ARRAY['US','US','US','CA','DE','GB'])[1 + g %% 6], "
            "  (ARRAY['NY','CA','TX','IL','FL','WA','MA'])[1 + g %% 7], "
            "  'City', '', CASE WHEN g %% 9 = 0 THEN 'public' WHEN g %% 9 = 1 THEN '' ELSE 'private' END, '', 1990, "
            "  CASE WHEN g %% 7 = 0 THEN 'customer' ELSE 'prospect' END, "
            "  CASE WHEN g %% 7 = 0 THEN (r.revenue * 0.004)::bigint END, "
            "  CASE WHEN g %% 25 = 0 THEN NULL ELSE (r.revenue * 0.01)::bigint END, "
            "  'bench', 'bench company ' || g, now(), now() "
            "FROM generate_series(1, %s) g, "
            "LATERAL (SELECT (exp(ln(15e6) + 1.7 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::bigint "
            "  AS revenue) r",
            [verticals, len(verticals), rows],
        )
        cursor.execute(
            "INSERT INTO segmentation_accountanswer (account_id, key, answer, answered_at) "
            "SELECT a.id, q.key, (ARRAY['yes','partly','no'])[1 + (a.id + length(q.key)) %% 3], now() "
            "FROM accounts_account a CROSS JOIN unnest(%s::text[]) AS q(key) WHERE random() < %s",
            [["application-experience", "terms", "shipping", "quality", "cultural-fit", "budget", "channel",
              "service"], answered],
        )  # fmt: skip
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--answered", type=float, default=0.05, help="share of accounts with answers")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    print(f"Preparing {args.rows:,} accounts ...", flush=True)
    _fresh_database()
    _setup_django()
    from django.db import connection, transaction
    from django.db.models import Count

    from accounts.models import Vertical
    from salesplan.models import StrategyPlan
    from segmentation.scoring import score_sql
    from segmentation.services.icp import icp_create, icp_score_all

    _generate(args.rows, args.answered)
    plan = StrategyPlan.objects.create(name="Bench plan", fiscal_year_start="2027-01-01", fiscal_year_end="2027-12-31")
    icp = icp_create(plan=plan, user=None, name="Bench ICP")  # the 14-criterion template
    names = list(Vertical.objects.order_by("name").values_list("name", flat=True))
    icp.criteria.filter(key="market-experience").update(values=names[:4])
    icp.criteria.filter(key="growth-market").update(values=names[2:5])
    criteria = list(icp.criteria.all())
    assert len(criteria) == 14
    sql, params = score_sql(icp, criteria, vertical_ids=dict(Vertical.objects.values_list("name", "id")), postgres=True)

    def bare() -> float:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
            cursor.execute("DROP TABLE IF EXISTS bench_scores")
            cursor.execute(
                "CREATE TABLE bench_scores (account_id bigint, score numeric, matched int, unknown int, total int, "
                "coverage int, tier text, rated boolean, points jsonb)"
            )
            started = time.perf_counter()
            cursor.execute(f"INSERT INTO bench_scores SELECT * FROM ({sql}) s", params)
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_scores")
        return elapsed

    def ours() -> float:
        started = time.perf_counter()
        count = icp_score_all(icp)
        assert count == args.rows, count
        return time.perf_counter() - started

    firsts, rescores, bares = [], [], []
    for run in range(args.repeat):
        with connection.cursor() as cursor:
            # TRUNCATE, not DELETE: it also resets the planner's row count, so every run's first scoring
            # sees the empty table it is meant to measure (a DELETE leaves the old estimate behind).
            cursor.execute("TRUNCATE segmentation_accountscore")
        bares.append(bare())
        firsts.append(ours())
        rescores.append(ours())
        print(
            f"  run {run + 1}: bare INSERT…SELECT {bares[-1]:.2f} s · first scoring {firsts[-1]:.2f} s · "
            f"re-scoring {rescores[-1]:.2f} s",
            flush=True,
        )
    tiers = dict(icp.scores.order_by().values_list("tier").annotate(n=Count("account_id")))
    bare_s, first_s, re_s = statistics.median(bares), statistics.median(firsts), statistics.median(rescores)
    # Each ratio is taken within its run (the job beside the bare query of the same run), then the median:
    # on a shared machine the bare query's own time moves by ±30 % from run to run.
    first_x = statistics.median(f / b for f, b in zip(firsts, bares, strict=True))
    re_x = statistics.median(r / b for r, b in zip(rescores, bares, strict=True))
    rows = [
        ("bare `INSERT … SELECT` of the same expressions into a bare table", f"{bare_s:.2f} s", "reference"),
        (
            "scoring job, first scoring (one transaction, indexed scores table)",
            f"{first_s:.2f} s ({args.rows / first_s:,.0f} accounts/s)",
            f"{first_x:.2f}× the bare query of the same run (target ≤ 2×)",
        ),
        (
            "scoring job, re-scoring (replaces the previous scores)",
            f"{re_s:.2f} s ({args.rows / re_s:,.0f} accounts/s)",
            f"{re_x:.2f}× the bare query of the same run (target ≤ 2×)",
        ),
        ("tiers of the scored accounts", " · ".join(f"{t or 'none'} {n:,}" for t, n in sorted(tiers.items())), ""),
    ]
    title = (
        f"Score {args.rows:,} accounts against the 14-criterion ICP template "
        f"({args.answered:.0%} with answers), median of {args.repeat} runs"
    )
    print(f"\n{title}")
    for what, figure, versus in rows:
        print(f"  {what:<70} {figure:>28}   {versus}")
    if not args.no_write:
        command = f"python bench/score_accounts.py --rows {args.rows} --repeat {args.repeat} --answered {args.answered}"
        report_write(section="scoring", title=title, command=command, rows=rows)


if __name__ == "__main__":
    main()
