"""What the demo generator draws from: words for company and people's names, contact roles, reasons
for credits, and the regions (currency, company suffixes, payment methods, fictional phone numbers)
and market segments (invoice sizes and rhythms, payment terms) a customer belongs to.

Nothing here is a real company or person: emails are at `example.com` subdomains, phone numbers are
in the ranges kept for fiction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PLACES = (
    "Alder", "Amberfield", "Apex", "Arbor", "Atlas", "Beacon", "Birchwood", "Blue Harbor", "Bramble",
    "Brightwater", "Canyon", "Cedar", "Clearwater", "Cobalt", "Copper Ridge", "Crescent", "Crownpoint",
    "Driftwood", "Eastgate", "Evergreen", "Falcon", "Fernhill", "Fox Hollow", "Granite", "Harborview",
    "Hawthorn", "Highland", "Ironwood", "Juniper", "Keystone", "Lakeside", "Laurel", "Lighthouse", "Maple",
    "Meridian", "Millbrook", "Northfield", "Oakridge", "Orchard", "Pinecrest", "Pioneer", "Prairie",
    "Quarry", "Redwood", "Ridgeline", "Riverbend", "Saltmarsh", "Sandstone", "Silver Birch", "Skyline",
    "Stonebridge", "Summit", "Sycamore", "Thistle", "Timberline", "Trident", "Union Square", "Valley",
    "Westbrook", "Willow",
)  # fmt: skip
TRADES = (
    "Analytics", "Auto Parts", "Bakery Supply", "Brewing", "Builders", "Catering", "Cleaning Services",
    "Coffee Roasters", "Construction", "Consulting", "Dental Group", "Electrical", "Energy", "Engineering",
    "Event Rentals", "Farms", "Freight", "Foods", "Furniture", "Hospitality", "HVAC", "Interiors",
    "IT Services", "Laboratories", "Landscaping", "Logistics", "Marine Supply", "Marketing", "Media",
    "Medical Supply", "Metalworks", "Nurseries", "Office Supply", "Outfitters", "Packaging", "Pharmacy",
    "Plastics", "Plumbing", "Print Works", "Roofing", "Security", "Signs", "Software", "Solar", "Staffing",
    "Textiles", "Veterinary Clinics", "Wholesale",
)  # fmt: skip
SURNAMES = (
    "Abbott", "Ashford", "Barker", "Bennett", "Brennan", "Calloway", "Carver", "Coleman", "Dalton",
    "Donovan", "Ellison", "Everett", "Fairbanks", "Finch", "Fletcher", "Garrison", "Griffin", "Hale",
    "Hargrove", "Holloway", "Ingram", "Jennings", "Kendall", "Langley", "Lockwood", "Marlowe", "Mercer",
    "Nakamura", "Nash", "Oakley", "Okafor", "Pemberton", "Prescott", "Quinn", "Radcliffe", "Ramirez",
    "Sheridan", "Sutton", "Thornton", "Underwood", "Vance", "Whitaker", "Yates", "Zielinski",
)  # fmt: skip
FIRST_NAMES = (
    "Aisha", "Andrea", "Ben", "Carla", "Chen", "Daniel", "Diego", "Elena", "Emma", "Farah", "Gabriel",
    "Grace", "Hannah", "Hugo", "Imani", "Isaac", "Jade", "James", "Julia", "Kai", "Karen", "Leo", "Lucia",
    "Marcus", "Maya", "Mei", "Nadia", "Noah", "Olivia", "Omar", "Paul", "Priya", "Rafael", "Rosa", "Ruth",
    "Samir", "Sofia", "Tariq", "Tessa", "Thomas", "Uma", "Victor", "Wendy", "Yusuf", "Zoe",
)  # fmt: skip
CONTACT_ROLES = (
    "Controller", "Finance Director", "CFO", "Office Manager", "Purchasing Manager", "Owner",
    "Bookkeeper", "Operations Manager", "AP Clerk",
)  # fmt: skip
CREDIT_REASONS = (
    "pricing error",
    "damaged goods",
    "short shipment",
    "volume rebate",
    "service credit",
    "returned goods",
)
ON_ACCOUNT_REASONS = ("goodwill credit", "rebate on account", "overbilling correction")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    currency: str
    share: float
    suffixes: tuple[str, ...]
    methods: tuple[str, ...]
    phones: tuple[str, ...]  # formats with {n} (a fictional line number)

    def phone(self, rng: random.Random) -> str:
        return rng.choice(self.phones).format(n=rng.randrange(100))


# Fictional numbers only: 555-0100..0199 (US), Ofcom's drama ranges (UK), ARCEP's fiction ranges (France).
REGIONS = (
    Region(
        "us",
        "USD",
        0.60,
        ("Inc.", "LLC", "Corp.", "Co."),
        ("ach", "ach", "check", "wire", "card"),
        tuple(f"+1 {area} 555 01{{n:02d}}" for area in ("212", "303", "312", "404", "415", "512", "617", "713")),
    ),
    Region(
        "uk",
        "GBP",
        0.20,
        ("Ltd", "Ltd", "plc", "LLP"),
        ("bacs", "faster payments", "card"),
        ("+44 20 7946 0{n:03d}", "+44 161 496 0{n:03d}", "+44 113 496 0{n:03d}", "+44 117 496 0{n:03d}"),
    ),
    Region(
        "eu",
        "EUR",
        0.20,
        ("SAS", "SARL", "S.A."),
        ("sepa transfer", "sepa transfer", "card"),
        ("+33 1 99 00 {n:02d} 12", "+33 4 65 71 {n:02d} 40", "+33 2 61 91 {n:02d} 07"),
    ),
)


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    share: float
    typical_amount: int  # major units
    intervals: tuple[tuple[int, float], ...]  # days between invoices, weight
    terms: tuple[tuple[int, float], ...]  # payment terms in days, weight


SEGMENTS = (
    Segment("enterprise", 0.15, 12_000, ((7, 0.2), (14, 0.4), (30, 0.4)), ((45, 0.4), (60, 0.6))),
    Segment("mid-market", 0.35, 3_500, ((14, 0.25), (30, 0.75)), ((30, 0.6), (45, 0.4))),
    Segment("smb", 0.50, 750, ((30, 0.55), (45, 0.2), (60, 0.15), (90, 0.1)), ((15, 0.25), (30, 0.75))),
)
