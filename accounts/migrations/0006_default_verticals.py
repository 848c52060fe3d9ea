"""A starting list of verticals and where common industries belong; the leader edits both."""

from __future__ import annotations

from django.db import migrations

VERTICALS = {
    "Manufacturing": ["Industrial Machinery", "Electronic Components", "Chemicals", "Automotive Parts",
                      "Packaging", "Building Materials", "Aerospace & Defense", "Industrial Machinery & Equipment",
                      "Motor Vehicles and Parts", "Manufacturing"],
    "Technology": ["Software", "IT Services", "Computer Software", "Computers, Office Equipment",
                   "Internet Services and Retailing", "Semiconductors and Other Electronic Components",
                   "Information Technology Services", "Telecommunications"],
    "Healthcare & Life Sciences": ["Medical Devices", "Pharmaceuticals", "Health Care Services", "Health",
                                   "Health Care: Insurance and Managed Care", "Medical Products and Equipment"],
    "Financial Services": ["Financial Services", "Insurance", "Commercial Banks", "Diversified Financials"],
    "Retail & Consumer": ["Retail", "Food Production", "Consumer Products & Services", "General Merchandisers",
                          "Specialty Retailers", "Food & Beverage", "Food Consumer Products"],
    "Energy & Utilities": ["Energy", "Utilities", "Petroleum Refining", "Utilities: Gas and Electric"],
    "Transportation & Logistics": ["Logistics & Transportation", "Wholesale Distribution", "Trucking, Truck Leasing"],
    "Construction & Real Estate": ["Construction", "Real Estate", "Engineering, Construction"],
    "Business & Professional Services": ["Business Services", "Business Products & Services", "Media & Advertising",
                                         "Advertising & Marketing", "Human Resources"],
}  # fmt: skip


def _seed(apps: object, schema_editor: object) -> None:
    Vertical = apps.get_model("accounts", "Vertical")
    IndustryMapping = apps.get_model("accounts", "IndustryMapping")
    for name, industries in VERTICALS.items():
        vertical, _ = Vertical.objects.get_or_create(name=name)
        for industry in industries:
            IndustryMapping.objects.get_or_create(
                industry_key=industry.lower(), defaults={"industry": industry, "vertical": vertical}
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_account_imports_and_indexes")]

    operations = [migrations.RunPython(_seed, migrations.RunPython.noop)]
