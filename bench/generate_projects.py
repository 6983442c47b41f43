"""Realistic, deterministic project data for every benchmark of the project.

Projects in all 21 counties and their 290 municipalities (from data/reference/), run by
beneficiaries that recur across projects (Zipf-like: the region, the big municipalities
and the universities run many, most companies and associations one or two), with partners
(some from other counties), co-financiers, two to four funding sources per project with
log-normal amounts, programmes and investment areas of 2014–2020 and 2021–2027 (from
data/reference/funding.ttl), the national sub-priority each project serves, dates from 2014
to 2027, a status as of 2025-06-30, follow-up reports, and Swedish names with diacritics.
The same --seed gives the same file, byte for byte.

    python bench/generate_projects.py --projects 1000 --out projects.csv
    python bench/generate_projects.py --projects 1000000 --seed 7 --out /tmp/p1m.csv
    python bench/generate_projects.py --projects 200 --format xlsx --out projects.xlsx
    python bench/generate_projects.py --projects 200 --layout projektbank --out bank.csv

Layouts: ``generator`` (the default; UTF-8, commas, ISO dates, dot decimals, several values
in a cell joined by ``|``; mapping data/projects/generator.mapping.toml) and
``projektbank`` (Swedish headers like the agencies' project-bank exports: Windows-1252,
semicolons, decimal commas and thousand spaces; EU-funded projects only; mapping
data/projects/projektbank.mapping.toml).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "data" / "reference"
PRIORITIES_TTL = REPO / "data" / "seed" / "04-fyra-nationella-prioriteringar.ttl"
ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TODAY = dt.date(2025, 6, 30)  # the data's "now": statuses and reports are as of this day
FIRST_START, LAST_START, LAST_END = dt.date(2014, 1, 1), dt.date(2026, 12, 31), \
    dt.date(2027, 12, 31)

GENERATOR_COLUMNS = [
    "case_number", "name", "description", "beneficiary_orgnr", "beneficiary_name",
    "partner_orgnrs", "partner_names", "cofinancier_orgnrs", "cofinancier_names",
    "county_code", "municipality_codes", "programme", "investment_area", "sub_priority",
    "start_date", "end_date", "status", "funding_sources", "granted_sek", "paid_sek",
    "report_dates", "report_kinds",
]
PROJEKTBANK_COLUMNS = [
    "Ärendenummer", "Projektnamn", "Stödmottagare", "Organisationsnummer", "Län", "Program",
    "Insatsområde", "Projektstart", "Projektslut", "Beviljat EU-stöd", "Total budget",
]

# Rough population (thousands) per county; the north gets more per head (regional policy).
COUNTY_WEIGHT = {
    "01": 2450, "03": 400, "04": 300, "05": 470, "06": 370, "07": 205, "08": 245, "09": 120,
    "10": 157, "12": 1410, "13": 340, "14": 1750, "17": 330, "18": 306, "19": 280,
    "20": 340, "21": 340, "22": 400, "23": 260, "24": 450, "25": 430,
}
# Sub-priorities each kind of money favours (the rest of the 19 are possible for 1:1).
FUND_SUB_PRIORITIES = {
    "eruf": ["innovation-och-forskning", "entreprenorskap-och-foretagande",
             "miljodriven-naringslivsutveckling", "kommersialisering-och-internationalisering",
             "kapitalforsorjning", "tillganglighet-transportsystem-och-it",
             "fysisk-planering-och-boende"],
    "esf": ["matchning-pa-arbetsmarknaden", "strukturer-for-utbildning-och-livslangt-larande",
            "tillvaratagande-av-hela-arbetskraften", "regionalt-kompetensforsorjningsarbete"],
}
DEFAULT_AREA = {"eruf": "sma-och-medelstora-foretag", "esf": "kompetensforsorjning"}
UNIVERSITIES = [
    ("Umeå universitet", "24"), ("Luleå tekniska universitet", "25"),
    ("Mittuniversitetet", "22"), ("Högskolan Dalarna", "20"), ("Högskolan i Gävle", "21"),
    ("Karlstads universitet", "17"), ("Örebro universitet", "18"),
    ("Mälardalens universitet", "19"), ("Uppsala universitet", "03"),
    ("Linköpings universitet", "05"), ("Jönköping University", "06"),
    ("Linnéuniversitetet", "07"), ("Högskolan i Kalmar län", "08"),
    ("Uppsala universitet Campus Gotland", "09"), ("Blekinge tekniska högskola", "10"),
    ("Lunds universitet", "12"), ("Högskolan i Halmstad", "13"),
    ("Göteborgs universitet", "14"), ("Högskolan Väst", "14"), ("KTH", "01"),
    ("Stockholms universitet", "01"), ("Karolinska institutet", "01"),
]
BRANCHES = ["Träteknik", "Batteriteknik", "Vätgas", "Energi", "Mekaniska Verkstad",
            "Besöksnäring", "Livsmedel", "Design", "Logistik", "Data", "Fiber",
            "Skogsvård", "Fjällturism", "Hälsoteknik", "Byggnadsvård", "Solkraft",
            "Cirkulära Material", "Sjöfart", "Växthus", "Rennäring", "Spel", "Bioenergi"]
PLACE_WORDS = ["Norrskens", "Älvdals", "Fjällvinds", "Kustens", "Skogsbrukets", "Åkerö",
               "Bergslagens", "Vätterns", "Höglandets", "Ölands", "Göta", "Mälardalens",
               "Västkustens", "Östersjö", "Tornedalens", "Sjöängens", "Ådalens", "Hälsinge",
               "Småländska", "Värmländska", "Jämtländska", "Österlens"]
THEMES = {
    "innovation-och-forskning": ["vätgas", "batteriteknik", "fossilfri stålproduktion",
                                 "rymdteknik", "hälsoteknik", "skogsråvara"],
    "entreprenorskap-och-foretagande": ["unga företagare", "nyföretagande", "företagsöverlåtelser",
                                        "kvinnors företagande"],
    "miljodriven-naringslivsutveckling": ["energieffektivisering", "cirkulär ekonomi",
                                          "fossilfria transporter", "solenergi"],
    "kommersialisering-och-internationalisering": ["export", "nya marknader",
                                                   "internationell försäljning"],
    "kapitalforsorjning": ["riskkapital", "mikrolån", "investeringsmognad"],
    "tillganglighet-transportsystem-och-it": ["bredband", "digital infrastruktur",
                                              "kollektivtrafik", "laddinfrastruktur"],
    "kommersiell-och-offentlig-service": ["lanthandel", "servicepunkter", "drivmedel"],
    "fysisk-planering-och-boende": ["bostadsförsörjning", "hållbar stadsutveckling",
                                    "ortsutveckling"],
    "kultur-fritid-och-besoksnaring": ["besöksnäring", "kulturarv", "cykelturism",
                                       "fjällturism", "måltidsturism"],
    "matchning-pa-arbetsmarknaden": ["matchning", "arbetsgivarnätverk", "praktikplatser"],
    "strukturer-for-utbildning-och-livslangt-larande": ["yrkesutbildning", "lärcentra",
                                                        "kompetenslyft"],
    "tillvaratagande-av-hela-arbetskraften": ["integration", "nyanlända", "mångfald"],
    "regionalt-kompetensforsorjningsarbete": ["validering", "yrkesvux", "kompetensplattform"],
    "utvecklat-regionalt-samarbete": ["gränsöverskridande samarbete", "Östersjösamarbete",
                                      "Nordkalotten"],
    "export-och-handelsframjande": ["exportfrämjande", "handelsdelegationer"],
    "erfarenhetsutbyte-och-larande": ["erfarenhetsutbyte", "lärande nätverk"],
}
NAME_FORMS = ["{Theme} i {place}", "Kraftsamling {theme} {place}", "{Theme} – nästa steg",
              "Smart {theme} i {county}", "Samverkan för {theme} i {place}",
              "{Theme}slyftet {place}", "Testbädd för {theme}", "Framtidens {theme} i {county}"]
DESCRIPTIONS = [
    "Projektet ska stärka {theme} i {place} genom samverkan mellan företag, kommun och "
    "akademi.",
    "Insatsen utvecklar {theme} och ökar konkurrenskraften hos små och medelstora företag i "
    "{county}.",
    "Målet är att fler i {place} ska få del av {theme}; projektet riktar sig till företag "
    "och organisationer i länet.",
    "Genom {theme} ska projektet bidra till hållbar regional tillväxt och attraktionskraft "
    "i {county}.",
]


@dataclass
class Organisation:
    orgnr: str
    name: str
    county: str


@dataclass
class Project:
    case_number: str
    name: str
    description: str
    beneficiary: Organisation
    partners: list[Organisation]
    cofinanciers: list[Organisation]
    county: str
    municipalities: list[str]
    fund: str  # "eruf", "esf" or "anslag-1-1"
    programme: str
    investment_area: str
    sub_priority: str
    start: dt.date
    end: dt.date
    status: str
    funding: list[tuple[str, int, str]]  # (source key, granted kr, paid "123.45")
    reports: list[tuple[dt.date, str]]

    @property
    def eu_granted(self) -> int:
        return sum(g for s, g, _ in self.funding if s in ("eruf", "esf"))

    @property
    def budget(self) -> int:
        return sum(g for _, g, _ in self.funding)


# --------------------------------------------------------------------------- reference data


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _turtle(path: Path) -> list[tuple[str, str, str, str | None]]:
    """(subject, predicate, object value, object language) of every triple in a file."""
    import pyoxigraph as ox

    return [(t.subject.value, t.predicate.value, t.object.value,
             getattr(t.object, "language", None))
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


@dataclass
class Reference:
    counties: dict[str, dict[str, str]]  # lan_code → name, region, orgnr, nuts2
    municipalities: dict[str, list[tuple[str, str, str]]]  # lan_code → (code, name, orgnr)
    programmes: dict[tuple[str, str], str]  # (NUTS 2 code or "esf", period) → programme key
    programme_names: dict[str, str]  # Swedish names
    sub_priorities: list[str]
    area_of: dict[str, str]  # sub-priority key → investment-area key
    area_names: dict[str, str]  # Swedish names
    reserved: set[str]  # organisation numbers of the reference tables


def load_reference() -> Reference:
    counties = {}
    for row in _read_csv("regions.csv"):
        ok = row["region_org_nr_conf"] in ("high", "medium-high")
        counties[row["lan_code"]] = {"name": row["county_name_sv"], "nuts2": row["nuts2_code"],
                                     "region": row["region_org_name"],
                                     "orgnr": row["region_org_nr"] if ok else ""}
    municipalities: dict[str, list[tuple[str, str, str]]] = {c: [] for c in counties}
    for row in _read_csv("municipalities.csv"):
        ok = row["wikidata_orgnr_conf"] in ("high", "medium-high")
        municipalities[row["lan_code"]].append(
            (row["kommunkod"], row["kommun_name"], row["organisationsnummer"] if ok else ""))
    programme_names, nuts, period, area_of, area_names = {}, {}, {}, {}, {}
    for s, p, o, lang in _turtle(REFERENCE / "funding.ttl"):
        kind, _, key = s.removeprefix(ID).partition("/")
        if kind == "programme":
            if p == TG + "nuts2Code":
                nuts[key] = o
            elif p == TG + "programmePeriod":
                period[key] = o.rsplit("/", 1)[1]
            elif p == SKOS + "prefLabel" and lang == "sv":
                programme_names[key] = o
        elif kind == "investment-area":
            if p == SKOS + "closeMatch":
                area_of.setdefault(o.removeprefix(ID + "priority/"), key)
            elif p == SKOS + "prefLabel" and lang == "sv":
                area_names[key] = o
    programmes = {(nuts.get(key, "esf"), p): key for key, p in period.items()}
    sub_priorities = sorted({s.removeprefix(ID + "priority/")
                             for s, p, _, _ in _turtle(PRIORITIES_TTL) if p == SKOS + "broader"})
    reserved = {row[column] for name, column in (("regions.csv", "region_org_nr"),
                                                 ("municipalities.csv", "organisationsnummer"),
                                                 ("actors.csv", "organisationsnummer"))
                for row in _read_csv(name) if row[column]}
    return Reference(counties, municipalities, programmes, programme_names, sub_priorities,
                     area_of, area_names, reserved)


# --------------------------------------------------------------------------- organisations


def luhn_digit(first9: str) -> str:
    total = 0
    for index, char in enumerate(first9):
        value = int(char) * (2 - index % 2)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


class Numbers:
    """Unique, checksummed organisation numbers per legal-form prefix.

    Numbers of real organisations in the reference tables are never handed out, so a
    made-up company cannot take a municipality's number.
    """

    def __init__(self, reserved: set[str]) -> None:
        self.next: dict[str, int] = {}
        self.reserved = reserved

    def take(self, prefix: str) -> str:
        while True:
            serial = self.next.get(prefix, 0)
            self.next[prefix] = serial + 1
            first9 = f"{prefix}{serial:0{9 - len(prefix)}d}"
            number = f"{first9[:6]}-{first9[6:]}{luhn_digit(first9)}"
            if number not in self.reserved:
                return number


class Pool:
    """The organisations of one county, drawn Zipf-like (rank r has weight 1/r^s)."""

    def __init__(self, organisations: list[Organisation], exponent: float = 1.07) -> None:
        self.organisations = organisations
        self.cumulative = list(_accumulate(1.0 / (r ** exponent)
                                           for r in range(1, len(organisations) + 1)))

    def draw(self, rng: random.Random) -> Organisation:
        index = bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return self.organisations[min(index, len(self.organisations) - 1)]


def _accumulate(values: Iterator[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def make_pools(ref: Reference, projects: int, rng: random.Random) -> dict[str, Pool]:
    """Per county: the region, municipalities, universities first; then a long tail."""
    numbers = Numbers(ref.reserved)
    tail_size = max(30, projects // 9)
    weights = [COUNTY_WEIGHT[c] for c in ref.counties]
    total = sum(weights)
    pools = {}
    for county, info in ref.counties.items():
        head = [Organisation(info["orgnr"] or numbers.take("232100"), info["region"], county)]
        munis = sorted(ref.municipalities[county], key=lambda m: rng.random())
        head += [Organisation(orgnr or numbers.take("212000"), f"{name} kommun", county)
                 for _, name, orgnr in munis[:6]]
        head += [Organisation(numbers.take("202100"), name, county)
                 for name, home in UNIVERSITIES if home == county]
        head += [Organisation(orgnr or numbers.take("212000"), f"{name} kommun", county)
                 for _, name, orgnr in munis[6:]]
        size = max(10, tail_size * COUNTY_WEIGHT[county] // total)
        tail = []
        places = [name for _, name, _ in ref.municipalities[county]]
        for _ in range(size):
            kind = rng.random()
            place = rng.choice(places)
            if kind < 0.62:
                name = (f"{place} {rng.choice(BRANCHES)} AB" if rng.random() < 0.5
                        else f"{rng.choice(PLACE_WORDS)} {rng.choice(BRANCHES)} AB")
                orgnr = numbers.take(rng.choice(("556", "559")))
            elif kind < 0.80:
                name = rng.choice([f"Föreningen Företagsamma {place}", f"{place} Näringsliv",
                                   f"Företagarna {place}", f"{place} Besöksnäringsförening",
                                   f"Hembygdsföreningen i {place}"])
                orgnr = numbers.take("802")
            elif kind < 0.90:
                name = rng.choice([f"{place} Energi ekonomisk förening",
                                   f"{rng.choice(PLACE_WORDS)} Bygdeutveckling ek. för.",
                                   f"Lokalproducerat i {place} ekonomisk förening"])
                orgnr = numbers.take("769")
            else:
                name = rng.choice([f"Stiftelsen {place} Science Park",
                                   f"Stiftelsen {rng.choice(PLACE_WORDS)} Innovation",
                                   f"{place} folkhögskola"])
                orgnr = numbers.take("802")
            tail.append(Organisation(orgnr, name, county))
        pools[county] = Pool(head + tail)
    return pools


# --------------------------------------------------------------------------- projects


def _lognormal_amount(rng: random.Random, median: float, sigma: float) -> int:
    value = median * math.exp(rng.gauss(0.0, sigma))
    return int(min(max(value, 50_000), 400_000_000) // 1000 * 1000)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    return dt.date(year, month % 12 + 1, min(day.day, 28))


def _distinct(rng: random.Random, draw, count: int, exclude: set[str]) -> list[Organisation]:
    chosen: list[Organisation] = []
    for _ in range(count * 3):
        if len(chosen) == count:
            break
        org = draw(rng)
        if org.orgnr not in exclude:
            exclude.add(org.orgnr)
            chosen.append(org)
    return chosen


def _count(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def generate(projects: int, seed: int, layout: str = "generator") -> Iterator[Project]:
    """The projects, in order; the same arguments always give the same projects."""
    rng = random.Random(seed)
    ref = load_reference()
    pools = make_pools(ref, projects, rng)
    county_codes = list(ref.counties)
    county_cum = list(_accumulate(float(COUNTY_WEIGHT[c]) for c in county_codes))
    serials: dict[tuple[str, ...], int] = {}
    span = (LAST_START - FIRST_START).days
    for _ in range(projects):
        county = county_codes[bisect.bisect(county_cum, rng.random() * county_cum[-1])]
        pool = pools[county]
        roll = rng.random()
        fund = ("eruf" if roll < 0.62 else "esf") if layout == "projektbank" else \
            ("eruf" if roll < 0.4 else "esf" if roll < 0.6 else "anslag-1-1")
        start = FIRST_START + dt.timedelta(days=rng.randrange(span))
        end = min(_add_months(start, rng.choice((6, 12, 18, 24, 24, 30, 36, 36, 48))) -
                  dt.timedelta(days=1), LAST_END)
        year = start.year
        if fund == "anslag-1-1":
            sub = rng.choice(ref.sub_priorities)
            area, programme = "", ""
        else:
            sub = rng.choice(FUND_SUB_PRIORITIES[fund])
            area = ref.area_of.get(sub, DEFAULT_AREA[fund])
            period = "2014-2020" if year <= 2020 else "2021-2027"
            nuts = ref.counties[county]["nuts2"] if fund == "eruf" else "esf"
            programme = ref.programmes[(nuts, period)]
        key = (fund, str(year)) if fund != "anslag-1-1" else (fund, county, str(year))
        serial = serials[key] = serials.get(key, 0) + 1
        case_number = {"eruf": f"{year}{serial:06d}", "esf": f"{year}/{serial:05d}"}.get(
            fund, f"RTM {county} {year}-{serial:05d}")
        # People: the beneficiary mostly from the county, partners sometimes from elsewhere.
        beneficiary = pool.draw(rng)
        taken = {beneficiary.orgnr}
        partners = _distinct(rng, pool.draw, _count(rng, [35, 30, 20, 10, 3, 2]), taken)
        if partners and rng.random() < 0.18:
            other = pools[rng.choice(county_codes)]
            partners += _distinct(rng, other.draw, 1, taken)
        cofinanciers = _distinct(rng, pool.draw, _count(rng, [30, 40, 20, 10]), taken)
        munis = ref.municipalities[county]
        municipalities = sorted({rng.choice(munis)[0]
                                 for _ in range(_count(rng, [0, 70, 20, 7, 3]))})
        # Money: a log-normal budget shared among two to four sources.
        budget = _lognormal_amount(rng, 2_500_000, 1.05)
        shares: list[tuple[str, float]] = []
        if fund in ("eruf", "esf"):
            eu = rng.uniform(0.4, 0.6)
            shares.append((fund, eu))
            rest = 1.0 - eu
            if rng.random() < 0.3:
                shares.append(("anslag-1-1", rest * 0.4))
                rest *= 0.6
        else:
            own = rng.uniform(0.4, 0.8)
            shares.append(("anslag-1-1", own))
            rest = 1.0 - own
        if rng.random() < 0.35:
            shares.append(("privat-medfinansiering", rest * 0.3))
            rest *= 0.7
        shares.append(("offentlig-medfinansiering", rest))
        today = TODAY
        if end < today:
            status = "avbrutet" if rng.random() < 0.04 else "avslutat"
        elif start > today:
            status = "beviljat"
        else:
            status = "pagaende"
        done = {"avslutat": rng.uniform(0.85, 1.0), "avbrutet": rng.uniform(0.0, 0.6),
                "beviljat": 0.0}.get(status)
        if done is None:
            elapsed = (today - start).days / max(1, (end - start).days)
            done = elapsed * rng.uniform(0.5, 0.95)
        funding = []
        for source, share in shares:
            granted = max(1000, int(budget * share) // 100 * 100)
            paid = round(granted * done, 2)
            funding.append((source, granted, f"{paid:.2f}"))
        reports = []
        progress = _add_months(start, 12)
        if progress <= min(end, today):
            reports.append((progress, "lagesrapport"))
        final = _add_months(end, 2)
        if status in ("avslutat", "avbrutet") and final <= today:
            reports.append((final, "slutrapport"))
        # Words.
        place = rng.choice(munis)[1]
        county_name = ref.counties[county]["name"]
        theme = rng.choice(THEMES.get(sub, ["regional utveckling"]))
        words = {"theme": theme, "Theme": theme[0].upper() + theme[1:], "place": place,
                 "county": county_name}
        name = rng.choice(NAME_FORMS).format(**words)
        description = rng.choice(DESCRIPTIONS).format(**words)
        yield Project(case_number, name, description, beneficiary, partners, cofinanciers,
                      county, municipalities, fund, programme, area, sub, start, end, status,
                      funding, reports)


# --------------------------------------------------------------------------- writing


def generator_row(p: Project) -> list[str]:
    return [
        p.case_number, p.name, p.description, p.beneficiary.orgnr, p.beneficiary.name,
        "|".join(o.orgnr for o in p.partners), "|".join(o.name for o in p.partners),
        "|".join(o.orgnr for o in p.cofinanciers), "|".join(o.name for o in p.cofinanciers),
        p.county, "|".join(p.municipalities), p.programme, p.investment_area, p.sub_priority,
        p.start.isoformat(), p.end.isoformat(), p.status,
        "|".join(s for s, _, _ in p.funding), "|".join(str(g) for _, g, _ in p.funding),
        "|".join(paid for _, _, paid in p.funding),
        "|".join(d.isoformat() for d, _ in p.reports), "|".join(k for _, k in p.reports),
    ]


def swedish_amount(value: int) -> str:
    """1234567 → '1 234 567,00' (a Swedish spreadsheet export)."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def projektbank_row(p: Project, ref: Reference) -> list[str]:
    return [
        p.case_number, p.name, p.beneficiary.name, p.beneficiary.orgnr,
        ref.counties[p.county]["name"], ref.programme_names[p.programme],
        ref.area_names[p.investment_area], p.start.isoformat(), p.end.isoformat(),
        swedish_amount(p.eu_granted), swedish_amount(p.budget),
    ]


def write(projects: Iterator[Project], out: Path, fmt: str, layout: str,
          report_every: int = 0) -> int:
    ref = load_reference() if layout == "projektbank" else None
    columns = GENERATOR_COLUMNS if layout == "generator" else PROJEKTBANK_COLUMNS

    def rows() -> Iterator[list[str]]:
        for count, project in enumerate(projects, start=1):
            if report_every and count % report_every == 0:
                print(f"  {count:,} projects", file=sys.stderr)
            yield generator_row(project) if ref is None else projektbank_row(project, ref)

    written = 0
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Projekt")
        sheet.append(columns)
        dates = {columns.index(c) for c in ("start_date", "end_date", "Projektstart",
                                            "Projektslut") if c in columns}
        for row in rows():
            cells: list[object] = list(row)
            for index in dates:
                cells[index] = dt.date.fromisoformat(row[index])
            sheet.append(cells)
            written += 1
        book.save(out)
        return written
    encoding, delimiter = ("utf-8", ",") if layout == "generator" else ("cp1252", ";")
    line_end = "\n" if layout == "generator" else "\r\n"
    with open(out, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator=line_end)
        writer.writerow(columns)
        batch = []
        for row in rows():
            batch.append(row)
            written += 1
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--layout", choices=("generator", "projektbank"), default="generator")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    written = write(generate(args.projects, args.seed, args.layout), args.out, args.format,
                    args.layout, report_every=100_000 if args.projects >= 200_000 else 0)
    print(f"wrote {written:,} projects to {args.out} "
          f"({args.out.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
