"""Reference lists for synthetic demo companies: real industries, real US cities."""

from __future__ import annotations

# (industry, share of companies, median revenue per employee in USD, name words typical of it)
INDUSTRIES: list[tuple[str, float, int, tuple[str, ...]]] = [
    ("Industrial Machinery", 0.08, 260_000, ("Machine Works", "Industries", "Equipment", "Automation")),
    ("Electronic Components", 0.05, 280_000, ("Electronics", "Circuits", "Devices", "Components")),
    ("Food Production", 0.05, 310_000, ("Foods", "Farms", "Provisions", "Packing")),
    ("Chemicals", 0.04, 520_000, ("Chemical", "Materials", "Polymers", "Coatings")),
    ("Medical Devices", 0.04, 330_000, ("Medical", "Surgical", "Diagnostics", "Health Systems")),
    ("Pharmaceuticals", 0.03, 600_000, ("Pharma", "Therapeutics", "Biosciences", "Labs")),
    ("Software", 0.09, 230_000, ("Software", "Technologies", "Labs", "Cloud")),
    ("IT Services", 0.07, 160_000, ("Consulting", "Solutions", "IT Group", "Systems")),
    ("Logistics & Transportation", 0.06, 210_000, ("Logistics", "Freight", "Transport", "Carriers")),
    ("Construction", 0.07, 290_000, ("Builders", "Construction", "Contractors", "Development")),
    ("Building Materials", 0.03, 350_000, ("Materials", "Supply", "Stone", "Lumber")),
    ("Automotive Parts", 0.04, 300_000, ("Automotive", "Motor Parts", "Drivetrain", "Components")),
    ("Aerospace & Defense", 0.02, 380_000, ("Aerospace", "Defense Systems", "Avionics", "Aero")),
    ("Energy", 0.03, 900_000, ("Energy", "Power", "Resources", "Petroleum")),
    ("Utilities", 0.01, 750_000, ("Utilities", "Power & Light", "Water", "Electric")),
    ("Retail", 0.06, 190_000, ("Stores", "Outfitters", "Market", "Retail")),
    ("Wholesale Distribution", 0.05, 700_000, ("Distributors", "Supply Co.", "Wholesale", "Trading")),
    ("Financial Services", 0.04, 420_000, ("Financial", "Capital", "Partners", "Bancorp")),
    ("Insurance", 0.02, 520_000, ("Insurance", "Mutual", "Assurance", "Underwriters")),
    ("Health Care Services", 0.05, 120_000, ("Health", "Care Partners", "Clinics", "Medical Group")),
    ("Business Services", 0.05, 150_000, ("Services", "Group", "Associates", "Partners")),
    ("Telecommunications", 0.02, 450_000, ("Communications", "Telecom", "Networks", "Wireless")),
    ("Media & Advertising", 0.02, 250_000, ("Media", "Marketing", "Studios", "Agency")),
    ("Packaging", 0.02, 330_000, ("Packaging", "Containers", "Paper", "Films")),
]

PREFIXES: tuple[str, ...] = (
    "Apex", "Summit", "Blue River", "Granite", "Northwind", "Redwood", "Ironclad", "Silver Lake", "Keystone",
    "Pioneer", "Harbor", "Cascade", "Lakeshore", "Pinnacle", "Frontier", "Evergreen", "Crescent", "Liberty",
    "Sterling", "Beacon", "Meridian", "Atlas", "Orion", "Heritage", "Prairie", "Canyon", "Copper Ridge",
    "Riverbend", "Oakmont", "Westfield", "Eastgate", "Highland", "Bayview", "Clearwater", "Stonebridge",
    "Trident", "Vanguard", "Horizon", "Magnolia", "Sequoia", "Bluebird", "Falcon", "Cedar Point", "Ridgeway",
    "Patriot", "Quantum", "Vertex", "Nova", "Polaris", "Sierra", "Mesa", "Aspen", "Hudson", "Lincoln",
    "Franklin", "Jefferson", "Madison", "Brighton", "Fairview", "Greenfield", "Kingston", "Ashford", "Belmont",
    "Carver", "Dalton", "Everett", "Garrison", "Hollis", "Irving", "Marlow", "Norwood", "Preston", "Thornton",
    "Wexford", "Tri-County", "Great Plains", "Gulf Coast", "Pacific", "Atlantic", "Midwest", "Southern",
    "United", "American", "National", "Allied", "Premier", "Precision", "Advanced", "Integrated", "Dynamic",
)

LEGAL_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("Inc.", 0.42), ("LLC", 0.30), ("Corp.", 0.12), ("Co.", 0.08), ("Group", 0.05), ("Holdings", 0.03),
)

# (city, state, a representative ZIP code, metro population in thousands as a weight)
CITIES: list[tuple[str, str, str, int]] = [
    ("New York", "NY", "10001", 19500), ("Buffalo", "NY", "14202", 1100), ("Rochester", "NY", "14604", 1050),
    ("Albany", "NY", "12207", 880), ("Newark", "NJ", "07102", 2100), ("Jersey City", "NJ", "07302", 1200),
    ("Princeton", "NJ", "08540", 370), ("Hartford", "CT", "06103", 1200), ("Stamford", "CT", "06901", 950),
    ("Boston", "MA", "02108", 4900), ("Worcester", "MA", "01608", 980), ("Providence", "RI", "02903", 1600),
    ("Manchester", "NH", "03101", 420), ("Burlington", "VT", "05401", 225), ("Portland", "ME", "04101", 550),
    ("Philadelphia", "PA", "19103", 6200), ("Pittsburgh", "PA", "15222", 2400), ("Allentown", "PA", "18101", 860),
    ("Wilmington", "DE", "19801", 720), ("Baltimore", "MD", "21202", 2800), ("Washington", "DC", "20001", 4000),
    ("Miami", "FL", "33131", 6100), ("Tampa", "FL", "33602", 3200), ("Orlando", "FL", "32801", 2700),
    ("Jacksonville", "FL", "32202", 1600), ("Atlanta", "GA", "30303", 6100), ("Savannah", "GA", "31401", 400),
    ("Charlotte", "NC", "28202", 2700), ("Raleigh", "NC", "27601", 1400), ("Greensboro", "NC", "27401", 780),
    ("Charleston", "SC", "29401", 800), ("Greenville", "SC", "29601", 930), ("Richmond", "VA", "23219", 1300),
    ("Virginia Beach", "VA", "23451", 1800), ("Charleston", "WV", "25301", 250), ("Nashville", "TN", "37203", 2000),
    ("Memphis", "TN", "38103", 1300), ("Knoxville", "TN", "37902", 900), ("Birmingham", "AL", "35203", 1100),
    ("Huntsville", "AL", "35801", 500), ("Jackson", "MS", "39201", 590), ("Louisville", "KY", "40202", 1300),
    ("Lexington", "KY", "40507", 520), ("Columbus", "OH", "43215", 2100), ("Cleveland", "OH", "44113", 2100),
    ("Cincinnati", "OH", "45202", 2250), ("Dayton", "OH", "45402", 810), ("Detroit", "MI", "48226", 4400),
    ("Grand Rapids", "MI", "49503", 1100), ("Ann Arbor", "MI", "48104", 370), ("Indianapolis", "IN", "46204", 2100),
    ("Fort Wayne", "IN", "46802", 420), ("Chicago", "IL", "60601", 9600), ("Peoria", "IL", "61602", 400),
    ("Milwaukee", "WI", "53202", 1600), ("Madison", "WI", "53703", 680), ("Minneapolis", "MN", "55401", 3700),
    ("St. Paul", "MN", "55101", 900), ("Des Moines", "IA", "50309", 720), ("Cedar Rapids", "IA", "52401", 275),
    ("St. Louis", "MO", "63101", 2800), ("Kansas City", "MO", "64105", 2200), ("Los Angeles", "CA", "90012", 13200),
    ("San Francisco", "CA", "94105", 4700), ("San Jose", "CA", "95113", 2000), ("San Diego", "CA", "92101", 3300),
    ("Sacramento", "CA", "95814", 2400), ("Irvine", "CA", "92618", 1500), ("Fresno", "CA", "93721", 1000),
    ("Oakland", "CA", "94612", 1400), ("Honolulu", "HI", "96813", 1000), ("Seattle", "WA", "98101", 4000),
    ("Spokane", "WA", "99201", 600), ("Tacoma", "WA", "98402", 900), ("Portland", "OR", "97204", 2500),
    ("Eugene", "OR", "97401", 380), ("Boise", "ID", "83702", 780), ("Billings", "MT", "59101", 190),
    ("Cheyenne", "WY", "82001", 100), ("Anchorage", "AK", "99501", 400), ("Las Vegas", "NV", "89101", 2300),
    ("Reno", "NV", "89501", 500), ("Salt Lake City", "UT", "84101", 1250), ("Provo", "UT", "84601", 700),
    ("Denver", "CO", "80202", 2950), ("Colorado Springs", "CO", "80903", 760), ("Houston", "TX", "77002", 7300),
    ("Dallas", "TX", "75201", 7900), ("Austin", "TX", "78701", 2400), ("San Antonio", "TX", "78205", 2600),
    ("Fort Worth", "TX", "76102", 1500), ("El Paso", "TX", "79901", 870), ("Oklahoma City", "OK", "73102", 1450),
    ("Tulsa", "OK", "74103", 1000), ("Little Rock", "AR", "72201", 750), ("New Orleans", "LA", "70112", 1270),
    ("Baton Rouge", "LA", "70801", 870), ("Phoenix", "AZ", "85004", 5000), ("Tucson", "AZ", "85701", 1050),
    ("Albuquerque", "NM", "87102", 920), ("Wichita", "KS", "67202", 650), ("Omaha", "NE", "68102", 970),
    ("Sioux Falls", "SD", "57104", 290), ("Fargo", "ND", "58102", 260),
]
