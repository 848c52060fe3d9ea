"""Synthetic but realistic demo companies (lognormal revenue and size, real industries and cities)."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files import File

from accounts.demo_data import CITIES, INDUSTRIES, LEGAL_SUFFIXES, PREFIXES
from accounts.models import Lifecycle, Ownership
from accounts.services.imports import account_import_create, accounts_import_run, mapping_clean, mapping_from_headers
from accounts.services.verticals import industry_mappings_refresh
from salesplan.models import JobRun
from salesplan.services.demo import demo_rep_states

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
    # Category spend: 0.2% to 1.5% of revenue; customers buy 5% to 90% of it from us.
    wallet = np.round(revenue * rng.uniform(0.002, 0.015, size=size), -2)
    share = rng.beta(2, 3.5, size=size) * 0.9 + 0.05
    return {
        "industry": industry,
        "city": city,
        "revenue": np.round(revenue, -3),
        "employees": employees,
        "public": public,
        "founded": founded,
        "lifecycle": lifecycle,
        "wallet": wallet,
        "current_sales": np.round(wallet * share, -2),
        "prefix": rng.integers(0, len(PREFIXES), size=size),
        "surname": rng.integers(0, len(_SURNAMES), size=(size, 2)),
        "pattern": rng.choice(3, size=size, p=[0.6, 0.25, 0.15]),
        "word": rng.integers(0, 4, size=size),
        "legal": rng.choice(len(LEGAL_SUFFIXES), size=size, p=[s[1] for s in LEGAL_SUFFIXES]),
        "missing": rng.random(size=(size, 3)) < [0.03, 0.05, 0.01],  # revenue, employees, industry unknown
    }


def _demo_companies(*, companies: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield ``companies`` unique company records, the same ones for the same seed."""
    names: set[str] = set()
    domains: set[str] = set()
    lifecycles = [Lifecycle.PROSPECT, Lifecycle.CUSTOMER, Lifecycle.FORMER]
    produced = 0
    for block in range((companies + _BLOCK - 1) // _BLOCK):
        size = min(_BLOCK, companies - produced)
        data = _demo_block(seed, block, _BLOCK)
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
            lifecycle = lifecycles[data["lifecycle"][i]]
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
                "wallet": int(data["wallet"][i]) if not missing_rev else None,
                "current_sales": int(data["current_sales"][i]) if lifecycle == Lifecycle.CUSTOMER else None,
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

    Matching is by domain, so a re-run leaves every company unchanged; each company goes to the demo
    rep covering its state.
    """
    state_owner = {state: username for username, states in demo_rep_states().items() for state in states}
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
