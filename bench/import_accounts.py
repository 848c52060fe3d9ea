"""Benchmark: import N accounts from CSV on PostgreSQL, beside its references measured in the same run.

    .venv/bin/python bench/import_accounts.py [--rows 1000000] [--repeat 3] [--iie-rows 20000]

Measures, on a scratch database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
salesplan_bench, dropped and re-created):

* the project's import, end to end (``manage.py import_accounts``: parse, validate, dedupe, upsert) into
  an empty table, and the re-import of the same file (every row unchanged): rows/s and the peak
  memory of the importing process;
* the limit: a bare ``psql \\copy`` of the same file into a bare table of text columns;
* what most Django projects use: django-import-export importing a slice of the file.

Prints each figure beside its reference and writes the table to docs/benchmarks.md (section "import").
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import report_write  # noqa: E402

INDUSTRIES = ["Software", "Industrial Machinery", "Retail", "Health Care Services", "Construction", "Chemicals",
              "Logistics & Transportation", "Food Production", "Financial Services", "Energy"]  # fmt: skip
PLACES = [("New York", "NY", "10001"), ("Chicago", "Illinois", "60601"), ("Houston", "TX", "77002"),
          ("San Jose", "California", "95113"), ("Boston", "MA", "02108"), ("Denver", "Colorado", "80202"),
          ("Atlanta", "GA", "30303"), ("Seattle", "WA", "98101")]  # fmt: skip
WORDS = ["Apex", "Summit", "Granite", "Harbor", "Beacon", "Atlas", "Orion", "Cedar", "Falcon", "Vertex", "Nova",
         "Sierra", "Hudson", "Keystone", "Pioneer", "Sterling"]  # fmt: skip
HEADER = ["Company", "Website", "Industry", "Revenue", "Employees", "City", "State", "Zip", "Country", "Founded",
          "Ownership"]  # fmt: skip


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Realistic messy rows: revenue as "36.9 Million", "$1,234,567" or "1.2B", states as codes or names."""
    rng = random.Random(seed)
    countries = ["US", "USA", "United States", "U.S."]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            revenue = rng.lognormvariate(16.5, 1.7)
            style = i % 3
            revenue_text = (
                f"{revenue / 1e6:.1f} Million"
                if style == 0
                else f"${revenue:,.0f}"
                if style == 1
                else f"{revenue / 1e9:.2f}B"
            )
            city, state, zip_code = PLACES[i % len(PLACES)]
            name = f"{WORDS[i % 16]} {WORDS[(i // 16) % 16]} {i} {'Inc.' if i % 2 else 'LLC'}"
            writer.writerow(
                [
                    name,
                    f"https://www.company{i}.com",
                    INDUSTRIES[i % 10],
                    revenue_text,
                    f"{max(1, int(revenue / 250_000)):,}",
                    city,
                    state,
                    zip_code,
                    countries[i % 4],
                    1900 + i % 120,
                    "Private" if i % 7 else "Public",
                ]
            )


def _pg_env(url: str) -> dict[str, str]:
    parts = urlparse(url)
    return {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGDATABASE": parts.path.lstrip("/"),
    }


def _run(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return its wall time, its peak memory in MB (that process alone), its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return elapsed, usage.ru_maxrss // 1024, output


def _psql(sql: str, env: dict[str, str]) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, check=True, capture_output=True)


def _fresh_database(url: str) -> dict[str, str]:
    env = _pg_env(url)
    name = env["PGDATABASE"]
    admin = {**env, "PGDATABASE": "postgres"}
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin)
    _psql(f'CREATE DATABASE "{name}"', admin)
    app_env = {**os.environ, "DATABASE_URL": url, "DEBUG": "True", "JOBS_BACKEND": "sync"}
    _run([sys.executable, "manage.py", "migrate", "-v", "0"], app_env)
    return app_env


def bench_copy(path: Path, env: dict[str, str]) -> float:
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    _psql(f"DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare ({columns})", env)
    elapsed, _mb, _out = _run(
        ["psql", "-q", "-c", f"\\copy bench_bare FROM '{path}' WITH (FORMAT csv, HEADER true)"], env
    )
    _psql("DROP TABLE bench_bare", env)
    return elapsed


def bench_import(path: Path, env: dict[str, str]) -> tuple[float, int, str]:
    _psql(
        "TRUNCATE accounts_account, accounts_importissue, accounts_accountimport CASCADE", _pg_env(env["DATABASE_URL"])
    )
    return _run([sys.executable, "manage.py", "import_accounts", str(path)], env)


def bench_reimport(path: Path, env: dict[str, str]) -> tuple[float, int, str]:
    return _run([sys.executable, "manage.py", "import_accounts", str(path)], env)


def bench_import_export(path: Path, rows: int, env: dict[str, str]) -> float:
    slice_path = path.with_name("iie_slice.csv")
    with path.open(encoding="utf-8") as source, slice_path.open("w", encoding="utf-8") as target:
        for _ in range(rows + 1):
            target.write(source.readline())
    _psql("TRUNCATE accounts_account CASCADE", _pg_env(env["DATABASE_URL"]))
    _elapsed, _mb, output = _run([sys.executable, str(ROOT / "bench" / "iie_import.py"), str(slice_path)], env)
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--iie-rows", type=int, default=20_000, help="rows for django-import-export")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/salesplan_bench")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.csv"
        print(f"Generating {args.rows:,} rows ...", flush=True)
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        env = _fresh_database(url)
        pg = _pg_env(url)
        copies, imports, reimports, memory = [], [], [], []
        for run in range(args.repeat):
            copies.append(bench_copy(path, pg))
            elapsed, mb, output = bench_import(path, env)
            imports.append(elapsed)
            memory.append(mb)
            elapsed, mb, reoutput = bench_reimport(path, env)
            reimports.append(elapsed)
            memory.append(mb)
            print(
                f"  run {run + 1}: \\copy {copies[-1]:.2f} s · import {imports[-1]:.2f} s · re-import "
                f"{reimports[-1]:.2f} s · peak {max(memory)} MB",
                flush=True,
            )
        assert f"created: {args.rows:,}" in output, output
        assert f"unchanged: {args.rows:,}" in reoutput, reoutput
        iie = bench_import_export(path, args.iie_rows, env)

    copy_rate = args.rows / statistics.median(copies)
    import_rate = args.rows / statistics.median(imports)
    reimport_rate = args.rows / statistics.median(reimports)
    iie_rate = args.iie_rows / iie
    rows = [
        ("bare `psql \\copy` into a bare table (the limit)", f"{copy_rate:,.0f} rows/s", "reference"),
        (
            "import, new accounts (parse, validate, dedupe, insert)",
            f"{import_rate:,.0f} rows/s",
            f"{import_rate / copy_rate:.2f}× \\copy (target ≥ 0.5×) · {import_rate / iie_rate:,.0f}× "
            "django-import-export (target ≥ 50×)",
        ),
        (
            "re-import of the same file (all unchanged)",
            f"{reimport_rate:,.0f} rows/s",
            f"{reimport_rate / copy_rate:.2f}× \\copy",
        ),
        (f"django-import-export, {args.iie_rows:,}-row slice", f"{iie_rate:,.0f} rows/s", "reference"),
        ("peak memory of the importing process", f"{max(memory)} MB", "target < 500 MB"),
    ]
    title = f"Import {args.rows:,} accounts from CSV ({size_mb:,.0f} MB), median of {args.repeat} runs"
    print(f"\n{title}")
    for what, figure, versus in rows:
        print(f"  {what:<58} {figure:>16}   {versus}")
    if not args.no_write:
        command = (
            f"python bench/import_accounts.py --rows {args.rows} --repeat {args.repeat} --iie-rows {args.iie_rows}"
        )
        report_write(section="import", title=title, command=command, rows=rows)


if __name__ == "__main__":
    main()
