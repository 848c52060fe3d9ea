"""Synthetic but realistic demo companies (lognormal revenue and size, real industries and cities)."""

from __future__ import annotations

import csv
import importlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files import File

from accounts.demo_data import CITIES, INDUSTRIES, LEGAL_SUFFIXES, PREFIXES
from accounts.models import IndustryMapping, Lifecycle, Ownership, Vertical
from accounts.services.imports import account_import_create, accounts_import_run, mapping_clean, mapping_from_headers
from accounts.services.verticals import industry_mappings_refresh
from salesplan.models import JobRun
from salesplan.services.demo import DEMO_PRIOR_YEAR_REVENUE, demo_rep_states

_BLOCK = 5_000  # companies per random block: block k is the same whatever the total asked for

_SURNAMES = (
    "Anderson",
    "Baker",
    "Caldwell",
    "Donovan",
    "Ellison",
    "Fletcher",
    "Gallagher",
    "Hawthorne",
    "Ingram",
    "Jennings",
    "Kessler",
    "Lambert",
    "Mercer",
    "Nolan",
    "Osborne",
    "Palmer",
    "Quinlan",
    "Ramsey",
    "Sullivan",
    "Tate",
    "Underwood",
    "Vaughn",
    "Whitaker",
    "Yates",
    "Zimmerman",
    "Barrett",
    "Coleman",
    "Dawson",
    "Emerson",
    "Fischer",
    "Gibson",
    "Hoffman",
    "Keller",
    "Lawson",
    "Monroe",
    "Novak",
    "Parker",
    "Reyes",
    "Schultz",
    "Turner",
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _demo_block(seed: int, block: int, size: int) -> dict[str, np.ndarray]:
    """Random firmographics for one block of companies, vectorized."""
    rng = np.random.default_rng([seed, block])
    shares = np.array([i[1] for i in INDUSTRIES])
    industry = rng.choice(len(INDUSTRIES), size=size, p=shares / shares.sum())
    weights = np.array([c[3] for c in CITIES], dtype=float)
    city = rng.choice(len(CITIES), size=size, p=weights / weights.sum())
    # Company revenue is famously lognormal: median about $15M, a long tail into the billions.
    revenue = np.clip(rng.lognormal(mean=np.log(15e6), sigma=1.7, size=size), 2e5, 6e11)
    rev_per_emp = np.array([INDUSTRIES[i][2] for i in industry]) * rng.lognormal(0, 0.45, size=size)
    employees = np.maximum(1, np.round(revenue / rev_per_emp)).astype(np.int64)
    public = (revenue > 1e9) & (rng.random(size) < 0.65) | (revenue > 2.5e8) & (rng.random(size) < 0.12)
    founded = np.clip(2025 - np.round(rng.lognormal(np.log(22), 0.75, size=size)), 1850, 2024).astype(int)
    lifecycle = rng.choice(3, size=size, p=[0.82, 0.14, 0.04])
    # Category spend (wallet): 0.1% to 0.5% of revenue. A customer buys 5% to 95% of it from us, less the
    # larger it is (a large company spreads its spend over several suppliers): about 40% of a $15M
    # company's spend, 15% of a $1B one's. ``_demo_companies`` scales both to the plan's prior-year revenue.
    wallet = revenue * rng.uniform(0.001, 0.005, size=size)
    share = np.clip((rng.beta(2, 3.5, size=size) * 0.9 + 0.05) * (revenue / 15e6) ** -0.25, 0.02, 0.95)
    return {
        "industry": industry,
        "city": city,
        "revenue": np.round(revenue, -3),
        "employees": employees,
        "public": public,
        "founded": founded,
        "lifecycle": lifecycle,
        "wallet": wallet,
        "current_sales": wallet * share,
        "prefix": rng.integers(0, len(PREFIXES), size=size),
        "surname": rng.integers(0, len(_SURNAMES), size=(size, 2)),
        "pattern": rng.choice(3, size=size, p=[0.6, 0.25, 0.15]),
        "word": rng.integers(0, 4, size=size),
        "legal": rng.choice(len(LEGAL_SUFFIXES), size=size, p=[s[1] for s in LEGAL_SUFFIXES]),
        "missing": rng.random(size=(size, 3)) < [0.03, 0.05, 0.01],  # revenue, employees, industry unknown
    }


def _demo_scale(blocks: list[dict[str, np.ndarray]], sizes: list[int], our_sales: int) -> float:
    """The factor that makes our sales to the customers among the first ``sizes`` rows of each block add up
    to ``our_sales``; wallets are scaled with them, so every customer's share of wallet stays as drawn.
    At the default 20,000 companies it is close to 1; a smaller demo market gets larger spenders."""
    customer = _LIFECYCLES.index(Lifecycle.CUSTOMER)
    total = sum(
        float(data["current_sales"][:size][data["lifecycle"][:size] == customer].sum())
        for data, size in zip(blocks, sizes, strict=True)
    )
    return our_sales / total if total else 0.0


_LIFECYCLES = [Lifecycle.PROSPECT, Lifecycle.CUSTOMER, Lifecycle.FORMER]


def _demo_companies(*, companies: int, seed: int, our_sales: int = DEMO_PRIOR_YEAR_REVENUE) -> Iterator[dict[str, Any]]:
    """Yield ``companies`` unique company records, the same ones for the same seed and size; our sales to
    the customers among them add up to ``our_sales`` (to the nearest $100 a customer)."""
    names: set[str] = set()
    domains: set[str] = set()
    blocks = [_demo_block(seed, block, _BLOCK) for block in range((companies + _BLOCK - 1) // _BLOCK)]
    sizes = [min(_BLOCK, companies - k * _BLOCK) for k in range(len(blocks))]
    scale = _demo_scale(blocks, sizes, our_sales)
    produced = 0
    for data, size in zip(blocks, sizes, strict=True):
        wallets = np.maximum(np.round(data["wallet"] * scale, -2), 100)
        sales = np.minimum(np.round(data["current_sales"] * scale, -2), wallets)
        for i in range(size):
            industry, _share, _rpe, words = INDUSTRIES[data["industry"][i]]
            word = words[data["word"][i]]
            s1, s2 = (_SURNAMES[j] for j in data["surname"][i])
            city, state, zip_code, _pop = CITIES[data["city"][i]]
            base = {0: f"{PREFIXES[data['prefix'][i]]} {word}", 1: f"{s1} {word}", 2: f"{s1} & {s2} {word}"}[
                int(data["pattern"][i])
            ]
            for candidate in (base, f"{base} of {city}", f"{PREFIXES[data['prefix'][i]]} {s1} {word}"):
                if candidate not in names:
                    base = candidate
                    break
            else:
                base = f"{base} {produced + 1}"
            names.add(base)
            domain = f"{_slug(base)}.com"
            if domain in domains:
                domain = f"{_slug(base)}-{state.lower()}.com"
            while domain in domains:
                domain = f"{_slug(base)}{produced}.com"
            domains.add(domain)
            legal = LEGAL_SUFFIXES[data["legal"][i]][0]
            public = bool(data["public"][i])
            lifecycle = _LIFECYCLES[data["lifecycle"][i]]
            missing_rev, missing_emp, missing_ind = data["missing"][i]
            yield {
                "name": f"{base} {legal}" if not public else f"{base} Corp.",
                "domain": domain,
                "website": f"https://www.{domain}",
                "industry": "" if missing_ind else industry,
                "annual_revenue": None if missing_rev else int(data["revenue"][i]),
                "employees": None if missing_emp else int(data["employees"][i]),
                "country": "US",
                "state": state,
                "city": city,
                "postal_code": zip_code,
                "ownership": Ownership.PUBLIC if public else Ownership.PRIVATE,
                "ticker": _slug(base)[:4].upper() if public else "",
                "founded_year": int(data["founded"][i]),
                "lifecycle": lifecycle,
                # Without a revenue nobody knows its category spend; our own sales to it we always know.
                "wallet": int(wallets[i]) if not missing_rev else None,
                "current_sales": int(sales[i]) if lifecycle == Lifecycle.CUSTOMER else None,
            }
            produced += 1


DEMO_COLUMNS = {  # CSV header -> account field: the demo market comes in through the importer like any file
    "Company": "name", "Website": "website", "Industry": "industry", "Revenue": "annual_revenue",
    "Employees": "employees", "Country": "country", "State": "state", "City": "city", "Zip": "postal_code",
    "Ownership": "ownership", "Ticker": "ticker", "Founded": "founded_year", "Lifecycle": "lifecycle",
    "Our sales": "current_sales", "Wallet": "wallet", "Owner": "owner",
}  # fmt: skip


def accounts_seed_demo(*, companies: int, seed: int = 42, job: JobRun | None = None) -> dict[str, int]:
    """Generate the demo market as a CSV and import it with the account importer, reporting progress.

    Matching is by domain, so a re-run of the same size leaves every company unchanged (a different size
    recalibrates our sales and the wallets, see ``_demo_scale``); each company goes to the demo rep
    covering its state.
    """
    state_owner = {state: username for username, states in demo_rep_states().items() for state in states}
    _starter_verticals_ensure()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-companies.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(DEMO_COLUMNS)
            for record in _demo_companies(companies=companies, seed=seed):
                record["owner"] = state_owner.get(record["state"], "")
                writer.writerow(["" if record[field] is None else record[field] for field in DEMO_COLUMNS.values()])
        with path.open("rb") as handle:
            account_import = account_import_create(file=File(handle, name=path.name), name=path.name, user=None)
    account_import.mapping = mapping_clean(
        headers=account_import.headers,
        mapping=mapping_from_headers(
            headers=account_import.headers, spec={"columns": DEMO_COLUMNS, "default_country": "US"}
        ),
    )
    account_import.save(update_fields=["mapping"])
    result = accounts_import_run(import_id=account_import.pk, job=job)
    industry_mappings_refresh()
    return {"companies_created": result["created"], "companies_already_there": result["updated"] + result["unchanged"]}


def _starter_verticals_ensure() -> None:
    """The demo plans by vertical: where none exist (a database emptied since its migrations ran), the
    starter list of migration 0006 comes back, with where its industries belong."""
    if Vertical.objects.exists():
        return
    starter = importlib.import_module("accounts.migrations.0006_default_verticals").VERTICALS
    for name, industries in starter.items():
        vertical, _ = Vertical.objects.get_or_create(name=name)
        for industry in industries:
            IndustryMapping.objects.update_or_create(
                industry_key=industry.lower(), defaults={"industry": industry, "vertical": vertical}
            )
