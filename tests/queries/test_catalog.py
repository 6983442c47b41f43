"""The named-query catalog (queries/*.rq): its decorators, its answers, its parameters.

Every query's `example` runs on the bundled data through `run_named`, and its answer set is
compared with the answer the source text gives (Tillväxtverket, "Regionalt tillväxtarbete",
about 2019). The expected sets below are written from the text, and from the reference
tables where a question is about codes (counties, municipalities); they are not copied from
query output. Where the curated data adds something the text leaves open, a comment says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from tillvaxtgraf.errors import TillvaxtgrafError
from tillvaxtgraf.queries.catalog import (
    NamedQuery,
    ParameterError,
    catalog_dir,
    load_catalog,
    parse_query_file,
    run_named,
)
from tillvaxtgraf.store.embedded_backend import EmbeddedStore
from tillvaxtgraf.store.terms import Term

CATALOG = load_catalog()
NAMES = sorted(CATALOG)

# --------------------------------------------------------------------------- vocabulary

ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"

# The 21 counties (län) in 2019; each has one regionally development-responsible actor.
COUNTY_CODES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
                "14", "17", "18", "19", "20", "21", "22", "23", "24", "25"]
REGIONS = [f"{ID}region/{code}" for code in COUNTY_CODES]

TILLVAXTVERKET = f"{ID}agency/tillvaxtverket"
VINNOVA = f"{ID}agency/vinnova"
SKR = f"{ID}organisation/skr"
REGERINGEN = f"{ID}government/regeringen"
REGERINGSKANSLIET = f"{ID}government/regeringskansliet"
NARINGSDEPARTEMENTET = f"{ID}ministry/naringsdepartementet"
EU = f"{ID}eu-body/europeiska-unionen"
AGENCIES_CONCERNED = f"{ID}actor-group/berorda-statliga-myndigheter"
FUNDING_ACTORS = f"{ID}actor-group/finansierande-aktorer"
# Not named in the text: two agencies that only the reference table of national actors adds.
ESF_RADET = f"{ID}agency/esf-radet"
TILLVAXTANALYS = f"{ID}agency/tillvaxtanalys"

REGLAB = f"{ID}arena/reglab"
FORUM = f"{ID}arena/forum-hallbar-regional-tillvaxt"
SFS_2017_583 = f"{ID}regulation/sfs-2017-583"
NATIONAL_STRATEGY = f"{ID}strategy/nationell-strategi-2015-2020"
GROWTH_POLICY = f"{ID}policy/regional-tillvaxtpolitik"
COHESION_POLICY = f"{ID}policy/sammanhallningspolitik-2021-2027"
ANSLAG_1_1 = f"{ID}funding-source/anslag-1-1-regionala-tillvaxtatgarder"
ESI_FUNDS = f"{ID}funding-source/europeiska-struktur-och-investeringsfonderna"
FOLLOW_UP = f"{ID}follow-up-system/uppfoljning-av-projektmedel-anslag-1-1"
GROWTH_WORK = f"{ID}activity/regionalt-tillvaxtarbete"
OPERATIVE_WORK = f"{ID}activity/operativt-tillvaxtarbete"
AGENCY_PARTICIPATION = f"{ID}activity/statliga-myndigheters-medverkan"
COORDINATION = f"{ID}coordination/samordning-i-utvecklingsansvaret"
ASSIGNMENT = f"{ID}assignment/sammanstalla-och-analysera-regionernas-rapporter"
DIALOGUE = f"{ID}dialogue/naringsdepartementets-dialoger-med-regionerna"
INVITATION = f"{ID}invitation/redovisningar-framtida-prioriteringar-2018"
REPORTS = f"{ID}report/regionernas-redovisningar"
DESIGN_OF_COHESION_POLICY = f"{ID}process/utformning-sammanhallningspolitiken-2021-2027"
REPLACING_THE_STRATEGY = f"{ID}process/ersattning-av-nationella-strategin"
COMING_WORK = f"{ID}process/regeringskansliets-kommande-arbete"
STRUCTURAL_FUND_PROGRAMMES = f"{ID}programme/eus-strukturfondsprogram"
EUROPEAN, NATIONAL, REGIONAL, MUNICIPAL = (
    f"{ID}level/{key}" for key in ("european", "national", "regional", "municipal"))
INSTRUMENTS = {key: f"{ID}instrument/{key}"
               for key in ("lag", "forordning", "strategi", "regleringsbrev", "villkorsbeslut")}


def rus(code: str) -> str:
    """The regional development strategy of a county."""
    return f"{ID}strategy/regional-utvecklingsstrategi-{code}"


def county(code: str) -> str:
    return f"{ID}county/{code}"


# The five main tasks of the development responsibility, in the text's order.
MAIN_TASKS = [
    (f"{ID}task/ta-fram-strategi-for-lanet",
     "Arbeta fram och fastställa en strategi för utvecklingen i länet"),
    (f"{ID}task/samordna-insatser",
     "Samordna insatser för att genomföra denna strategi"),
    (f"{ID}task/besluta-om-medel",
     "Besluta om hur medel för regionalt tillväxtarbete ska användas"),
    (f"{ID}task/folja-upp-utvardera-redovisa",
     "Följa upp, utvärdera och redovisa resultaten av tillväxtarbetet till regeringen"),
    (f"{ID}task/eu-strukturfondsprogram",
     "Utföra uppgifter inom ramen för EU:s strukturfondsprogram"),
]

# The four national priorities and their sub-priorities, in the text's order.
PRIORITIES = {
    "Innovation och företagande": [
        "Innovation och forskning – regionala innovationsmiljöer",
        "Entreprenörskap och företagande",
        "Miljödriven näringslivsutveckling i alla branscher och energifrågor",
        "Kommersialisering och internationalisering",
        "Kapitalförsörjning",
    ],
    "Attraktiva miljöer och tillgänglighet": [
        "Tillgänglighet genom transportsystemet och IT-kommunikation",
        "Kommersiell och offentlig service",
        "Fysisk planering och boende",
        "Kultur, fritid och besöksnäring",
    ],
    "Kompetensförsörjning": [
        "Matchning på arbetsmarknaden",
        "Fungerande strukturer för utbildning, kompetensförsörjning och livslångt lärande",
        "Tillvaratagande av hela arbetskraften – ökat arbetskraftsutbud genom integration "
        "och mångfald",
        "Regionalt grundläggande kompetensförsörjningsarbete – centralt verktyg med "
        "fastställda målsättningar i samverkan med berörda aktörer samt insatser inom "
        "fokusområdena validering, yrkesvux inom den kommunala vuxenutbildningen och lärcentra",
    ],
    "Internationellt samarbete": [
        "Utvecklat regionalt samarbete – både i närområdet och globalt",
        "Export och handelsfrämjande",
        "Erfarenhetsutbyte och lärande",
    ],
}
PRIORITY_PAIRS = [(p, s) for p, subs in PRIORITIES.items() for s in subs]

SECTION_HEADINGS = [
    ("00-inledning", "Regionalt tillväxtarbete"),
    ("01-sa-styrs-tillvaxtarbetet", "Så styrs tillväxtarbetet - mål, riktlinjer och strategier"),
    ("02-nationella-strategin", "Den nationella strategin sätter ramarna"),
    ("03-regionernas-behov", "Regionernas behov lägger grund för vårt arbete"),
    ("04-fyra-nationella-prioriteringar", "Fyra nationella prioriteringar"),
    ("05-forordning-2017-583", "Förordning (2017:583) om regionalt tillväxtarbete"),
    ("06-regionala-utvecklingsstrategier", "Regionala utvecklingsstrategier visar vägen"),
    ("07-regioner-och-samordning", "Regioner och samordning"),
    ("08-huvuduppgifter", "Huvuduppgifter i utvecklingsansvaret"),
    ("09-genomforande-och-finansiering", "Genomförande och finansiering"),
    ("10-resultat-och-uppfoljning", "Resultat och uppföljning"),
]
SOURCE_DOCUMENT = f"{ID}source/tillvaxtverket-regionalt-tillvaxtarbete"

# Actors at national level: those the text names, the group "berörda statliga myndigheter",
# and the two agencies of the reference table.
NATIONAL_ACTORS = {
    REGERINGEN: "Government", REGERINGSKANSLIET: "GovernmentOffices",
    NARINGSDEPARTEMENTET: "Ministry", TILLVAXTVERKET: "GovernmentAgency",
    VINNOVA: "GovernmentAgency", SKR: "InterestOrganisation",
    AGENCIES_CONCERNED: "ActorGroup",
    ESF_RADET: "GovernmentAgency", TILLVAXTANALYS: "GovernmentAgency",
}

# --------------------------------------------------------------------------- expected answers
# name -> list of (parameter values, columns compared, expected set of rows). The first case
# of each query uses its `example`; None stands for an unbound column.

COORDINATION_ASPECTS = [
    ("coordinatesWithLevel", EUROPEAN), ("coordinatesWithLevel", NATIONAL),
    ("coordinatesWithLevel", MUNICIPAL), ("throughArena", FORUM), ("throughArena", REGLAB),
    ("underInstrument", NATIONAL_STRATEGY), ("underInstrument", SFS_2017_583),
    ("performsTask", f"{ID}task/samordna-insatser"),
]


def _county_coordination(code: str) -> set[tuple]:
    rows = {(f"{ID}region/{code}", TG + aspect, value) for aspect, value in COORDINATION_ASPECTS}
    return rows | {(f"{ID}region/{code}", TG + "implementsStrategy", rus(code))}


def _bound_by_ordinance() -> set[tuple]:
    # Regions coordinate under the ordinance; it has provisions on the state agencies'
    # participation, and the text names two state agencies.
    forordning = (REGERINGEN, INSTRUMENTS["forordning"], SFS_2017_583)
    rows = {(*forordning, r, TG + "underInstrument") for r in REGIONS}
    return rows | {(*forordning, a, TG + "containsProvisionsOn")
                   for a in (TILLVAXTVERKET, VINNOVA)}


def _bound_by_strategy() -> set[tuple]:
    # The national strategy guides everyone working nationally or regionally, and the
    # regions coordinate under it.
    strategi = (REGERINGEN, INSTRUMENTS["strategi"], NATIONAL_STRATEGY)
    rows = {(*strategi, r, TG + "underInstrument") for r in REGIONS}
    rows |= {(*strategi, r, TG + "guidesLevel") for r in REGIONS}
    return rows | {(*strategi, a, TG + "guidesLevel") for a in NATIONAL_ACTORS}


EXPECTED: dict[str, list[tuple[dict[str, str], tuple[str, ...], set[tuple]]]] = {
    "arena_members": [
        # "Reglab, som består av de 21 regionerna, SKL, Vinnova samt Tillväxtverket."
        (CATALOG["arena_members"].example, ("member", "kind", "relation"),
         {(r, TG + "Region", ORG + "hasMember") for r in REGIONS}
         | {(SKR, TG + "InterestOrganisation", ORG + "hasMember"),
            (VINNOVA, TG + "GovernmentAgency", ORG + "hasMember"),
            (TILLVAXTVERKET, TG + "GovernmentAgency", ORG + "hasMember")}),
        # The Forum: "företrädare för regionerna, regeringen och berörda statliga myndigheter".
        ({"arena": FORUM}, ("member", "kind", "relation"),
         {(r, TG + "Region", TG + "gathersRepresentativesOf") for r in REGIONS}
         | {(REGERINGEN, TG + "Government", TG + "gathersRepresentativesOf"),
            (AGENCIES_CONCERNED, TG + "ActorGroup", TG + "gathersRepresentativesOf")}),
    ],
    "arenas": [
        (CATALOG["arenas"].example, ("arena", "participants", "purposeLabel"),
         {(FORUM, "23", purpose) for purpose in
          ("Ökad dialog", "Samverkan", "Lärande", "Kunskapsspridning")}
         | {(REGLAB, "24", None)}),
    ],
    "actor_arenas": [
        (CATALOG["actor_arenas"].example, ("arena", "relation", "through"),
         {(REGLAB, ORG + "hasMember", None), (FORUM, TG + "gathersRepresentativesOf", None)}),
        ({"actor": TILLVAXTVERKET}, ("arena", "relation", "through"),
         {(REGLAB, ORG + "hasMember", None)}),
        ({"actor": REGERINGEN}, ("arena", "relation", "through"),
         {(FORUM, TG + "gathersRepresentativesOf", None)}),
        ({"actor": EU}, ("arena",), set()),
    ],
    "reglab_vs_forum": [
        (CATALOG["reglab_vs_forum"].example, ("actor", "inArena", "inOther"),
         {(r, "true", "true") for r in REGIONS}
         | {(a, "true", "false") for a in (SKR, VINNOVA, TILLVAXTVERKET)}
         | {(a, "false", "true") for a in (REGERINGEN, AGENCIES_CONCERNED)}),
        ({"arena": FORUM, "other": FORUM}, ("actor", "inArena", "inOther"),
         {(a, "true", "true") for a in [*REGIONS, REGERINGEN, AGENCIES_CONCERNED]}),
    ],
    "actor_connections": [
        # Tillväxtverket and Region Stockholm: both in Reglab; Tillväxtverket takes part in
        # the ministry's dialogues with the regions; it compiles the regions' reports.
        (CATALOG["actor_connections"].example, ("how", "via", "actorRole", "otherRole", "through"),
         {("shared", REGLAB, ORG + "hasMember", ORG + "hasMember", None),
          ("shared", DIALOGUE, TG + "participant", TG + "withActor", None),
          ("shared", ASSIGNMENT, TG + "assignedTo", TG + "basedOnNeedsOf", None)}),
        # Näringsdepartementet is a ministry within Regeringskansliet.
        ({"actor": NARINGSDEPARTEMENTET, "other": REGERINGSKANSLIET},
         ("how", "via", "actorRole", "otherRole", "through"),
         {("direct", None, ORG + "unitOf", None, None)}),
        ({"actor": REGERINGSKANSLIET, "other": NARINGSDEPARTEMENTET},
         ("how", "via", "actorRole", "otherRole", "through"),
         {("direct", None, None, ORG + "unitOf", None)}),
        # The EU and a region: the EU's funds finance the growth work the region coordinates
        # in; the EU's new cohesion policy is designed from the regions' needs and affects them.
        ({"actor": EU, "other": REGIONS[0]}, ("how", "via", "actorRole", "otherRole", "through"),
         {("through", ESI_FUNDS, TG + "providedBy", TG + "coordinatedBy", COORDINATION),
          ("through", COHESION_POLICY, TG + "policyOf", TG + "basedOnNeedsOf",
           DESIGN_OF_COHESION_POLICY),
          ("through", COHESION_POLICY, TG + "policyOf", TG + "affectsDevelopmentOf",
           DESIGN_OF_COHESION_POLICY)}),
        # The Government and a region: the Forum; the assignment (its giver is modelled as the
        # Government, the text does not name it) builds on the regions' needs; the region
        # coordinates under the ordinance and the strategy the Government issued; the
        # replacement of that strategy builds on and affects the region; the region's own
        # strategy sets priorities for the Government's regional growth policy.
        ({"actor": REGERINGEN, "other": REGIONS[0]},
         ("how", "via", "actorRole", "otherRole", "through"),
         {("shared", FORUM, TG + "gathersRepresentativesOf", TG + "gathersRepresentativesOf",
           None),
          ("shared", ASSIGNMENT, TG + "assignedBy", TG + "basedOnNeedsOf", None),
          ("through", SFS_2017_583, ELI + "passed_by", TG + "coordinatedBy", COORDINATION),
          ("through", NATIONAL_STRATEGY, DCTERMS + "creator", TG + "coordinatedBy",
           COORDINATION),
          ("through", NATIONAL_STRATEGY, DCTERMS + "creator", TG + "basedOnNeedsOf",
           REPLACING_THE_STRATEGY),
          ("through", NATIONAL_STRATEGY, DCTERMS + "creator", TG + "affectsDevelopmentOf",
           REPLACING_THE_STRATEGY),
          ("through", GROWTH_POLICY, TG + "policyOf", DCTERMS + "creator", rus("01"))}),
    ],
    "entity_relations": [
        (CATALOG["entity_relations"].example, ("direction", "property", "other"),
         {("out", RDF_TYPE, TG + "Ministry"), ("out", ORG + "unitOf", REGERINGSKANSLIET),
          ("out", TG + "level", NATIONAL), ("in", TG + "heldBy", DIALOGUE)}),
        ({"entity": NARINGSDEPARTEMENTET, "direction": "in"}, ("direction", "property", "other"),
         {("in", TG + "heldBy", DIALOGUE)}),
    ],
    "find_entities": [
        # The text's "SKL" is today's SKR.
        (CATALOG["find_entities"].example, ("entity", "kind"),
         {(SKR, TG + "InterestOrganisation")}),
        ({"text": "vINNOVA"}, ("entity", "kind"), {(VINNOVA, TG + "GovernmentAgency")}),
        ({"text": "Vinnova", "type": TG + "Actor"}, ("entity",), {(VINNOVA,)}),
        ({"text": "Vinnova", "type": TG + "Region"}, ("entity",), set()),
        ({"text": "Reglab"}, ("entity", "kind"), {(REGLAB, TG + "CollaborationArena")}),
    ],
    "county_coordination": [
        (CATALOG["county_coordination"].example, ("coordinator", "aspect", "value"),
         _county_coordination("01")),
        ({"county": county("25")}, ("coordinator", "aspect", "value"),
         _county_coordination("25")),
    ],
    "county_municipalities": [
        # Uppsala län has eight municipalities.
        (CATALOG["county_municipalities"].example, ("municipality", "label", "code"),
         {(f"{ID}municipality/{code}", name, code) for code, name in [
             ("0305", "Håbo"), ("0319", "Älvkarleby"), ("0330", "Knivsta"), ("0331", "Heby"),
             ("0360", "Tierp"), ("0380", "Uppsala"), ("0381", "Enköping"),
             ("0382", "Östhammar")]}),
        # Gotland is one municipality.
        ({"county": county("09")}, ("code",), {("0980",)}),
    ],
    "region_of_county": [
        (CATALOG["region_of_county"].example,
         ("region", "label", "countyCode", "nuts3", "nuts2", "iso", "organisationNumber"),
         {(f"{ID}region/13", "Region Halland", "13", "SE231", "SE23", "SE-N", "232100-0115")}),
    ],
    "main_tasks": [
        (CATALOG["main_tasks"].example,
         ("sequence", "task", "label", "concerns", "reportTo", "performedBy"),
         {("1", *MAIN_TASKS[0], None, None, None),
          ("2", *MAIN_TASKS[1], None, None, COORDINATION),
          ("3", *MAIN_TASKS[2], GROWTH_WORK, None, None),
          ("4", *MAIN_TASKS[3], None, REGERINGEN, None),
          ("5", *MAIN_TASKS[4], STRUCTURAL_FUND_PROGRAMMES, None, None)}),
    ],
    "main_task_holders": [
        (CATALOG["main_task_holders"].example, ("county", "holder", "task"),
         {(county("14"), f"{ID}region/14", task) for task, _ in MAIN_TASKS}),
        ({}, ("county", "holder", "task"),
         {(county(c), f"{ID}region/{c}", task) for c in COUNTY_CODES for task, _ in MAIN_TASKS}),
    ],
    "government_instruments": [
        (CATALOG["government_instruments"].example,
         ("steerer", "kind", "document", "bound", "how"), _bound_by_ordinance()),
        ({}, ("steerer", "kind", "document", "bound", "how"),
         _bound_by_ordinance() | _bound_by_strategy()
         | {(REGERINGEN, INSTRUMENTS[k], None, None, None)
            for k in ("lag", "regleringsbrev", "villkorsbeslut")}),
    ],
    "actor_regulation": [
        # The ordinance has provisions on state agencies' participation.
        (CATALOG["actor_regulation"].example, ("regulation", "sfsNumber", "activity", "role"),
         {(SFS_2017_583, "2017:583", AGENCY_PARTICIPATION, PROV + "wasAssociatedWith")}),
        # A region coordinates under the ordinance, in growth work the ordinance covers.
        ({"actor": REGIONS[0]}, ("regulation", "sfsNumber", "activity", "role"),
         {(SFS_2017_583, "2017:583", COORDINATION, TG + "coordinatedBy")}),
        ({"actor": EU}, ("regulation",), set()),
    ],
    "actor_strategies": [
        # Each RUA produces its regional development strategy and coordinates its
        # implementation; the national strategy guides everyone working regionally.
        (CATALOG["actor_strategies"].example, ("strategy", "relation", "startYear", "endYear"),
         {(rus("01"), TG + "producesStrategy", None, None),
          (rus("01"), TG + "implementsStrategy", None, None),
          (NATIONAL_STRATEGY, TG + "guidesLevel", "2015", "2020"),
          (NATIONAL_STRATEGY, TG + "underInstrument", "2015", "2020")}),
        ({"actor": TILLVAXTVERKET}, ("strategy", "relation"),
         {(NATIONAL_STRATEGY, TG + "guidesLevel")}),
        ({"actor": f"{ID}municipality/0114"}, ("strategy",), set()),
    ],
    "strategy_priorities": [
        (CATALOG["strategy_priorities"].example, ("priorityLabel", "subPriorityLabel", "via"),
         {(p, s, NATIONAL_STRATEGY) for p, s in PRIORITY_PAIRS}),
        ({"strategy": NATIONAL_STRATEGY}, ("priorityLabel", "subPriorityLabel", "via"),
         {(p, s, NATIONAL_STRATEGY) for p, s in PRIORITY_PAIRS}),
    ],
    "national_priorities": [
        (CATALOG["national_priorities"].example, ("priorityLabel", "subPriorityLabel", "strategy"),
         {("Kompetensförsörjning", s, NATIONAL_STRATEGY)
          for s in PRIORITIES["Kompetensförsörjning"]}),
        ({}, ("priorityLabel", "subPriorityLabel"), set(PRIORITY_PAIRS)),
    ],
    "assignments": [
        # "Tillväxtverket har nu i uppdrag att sammanställa och analysera regionernas
        # rapporter ... ska redovisas 1 oktober och ligga till grund för Regeringskansliets
        # kommande arbete". The giver is the curated data's reading (the text names none).
        (CATALOG["assignments"].example,
         ("assignment", "task", "giver", "carrier", "recipient", "deadline", "basisFor"),
         {(ASSIGNMENT, "sammanställa och analysera regionernas rapporter", REGERINGEN,
           TILLVAXTVERKET, REGERINGSKANSLIET, "2019-10-01", COMING_WORK)}),
        ({"carrier": VINNOVA}, ("assignment",), set()),
        ({"lang": "en"}, ("assignment", "carrier", "deadline"),
         {(ASSIGNMENT, TILLVAXTVERKET, "2019-10-01")}),
    ],
    "dialogues": [
        # "Tillväxtverket [deltar] i dialoger med regionerna som Näringsdepartementet håller i."
        (CATALOG["dialogues"].example, ("dialogue", "role", "actor"),
         {(DIALOGUE, TG + "heldBy", NARINGSDEPARTEMENTET),
          (DIALOGUE, TG + "participant", TILLVAXTVERKET)}
         | {(DIALOGUE, TG + "withActor", r) for r in REGIONS}),
        ({"actor": VINNOVA}, ("dialogue",), set()),
    ],
    "invitations": [
        # "Regeringskansliet erbjöd därför i november förra året alla Sveriges regioner att
        # lämna in redovisningar" (the page is from 2019).
        (CATALOG["invitations"].example,
         ("invitation", "offeredBy", "date", "recipients", "report", "assignment"),
         {(INVITATION, REGERINGSKANSLIET, "2018-11", "21", REPORTS, ASSIGNMENT)}),
    ],
    "funding_sources": [
        # Anslag 1:1 and the ESI funds are central parts of operative growth work; growth work
        # as a whole is funded by them too; a new national system follows up Anslag 1:1.
        # The reference terms for project data add the two EU funds within the ESI funds and
        # public and private co-financing (data/reference/funding.ttl).
        (CATALOG["funding_sources"].example,
         ("source", "provider", "partOf", "work", "central", "followUp"),
         {(ANSLAG_1_1, None, None, OPERATIVE_WORK, "true", FOLLOW_UP),
          (ANSLAG_1_1, None, None, GROWTH_WORK, "false", FOLLOW_UP),
          (ESI_FUNDS, EU, None, OPERATIVE_WORK, "true", None),
          (ESI_FUNDS, EU, None, GROWTH_WORK, "false", None),
          (f"{ID}funding-source/eruf", EU, ESI_FUNDS, None, None, None),
          (f"{ID}funding-source/esf", EU, ESI_FUNDS, None, None, None),
          (f"{ID}funding-source/offentlig-medfinansiering", None, None, None, None, None),
          (f"{ID}funding-source/privat-medfinansiering", None, None, None, None, None)}),
    ],
    "work_funding": [
        # Coordination is part of growth work, which is funded by Anslag 1:1, the ESI funds
        # and "medel från ett stort antal aktörer".
        (CATALOG["work_funding"].example, ("funder", "how", "from"),
         {(ANSLAG_1_1, TG + "fundedBy", GROWTH_WORK), (ESI_FUNDS, TG + "fundedBy", GROWTH_WORK),
          (FUNDING_ACTORS, TG + "cofinancedBy", GROWTH_WORK)}),
        ({"work": OPERATIVE_WORK}, ("funder", "how", "from"),
         {(ANSLAG_1_1, TG + "centralFundingSource", OPERATIVE_WORK),
          (ESI_FUNDS, TG + "centralFundingSource", OPERATIVE_WORK),
          (ANSLAG_1_1, TG + "fundedBy", OPERATIVE_WORK),
          (ESI_FUNDS, TG + "fundedBy", OPERATIVE_WORK),
          (ANSLAG_1_1, TG + "fundedBy", GROWTH_WORK), (ESI_FUNDS, TG + "fundedBy", GROWTH_WORK),
          (FUNDING_ACTORS, TG + "cofinancedBy", GROWTH_WORK)}),
    ],
    "actors_by_level": [
        (CATALOG["actors_by_level"].example, ("level", "actor", "kind"),
         {(NATIONAL, actor, TG + kind) for actor, kind in NATIONAL_ACTORS.items()}),
        ({"level": EUROPEAN}, ("level", "actor", "kind"), {(EUROPEAN, EU, TG + "EUBody")}),
        ({"level": REGIONAL}, ("actor", "kind"), {(r, TG + "Region") for r in REGIONS}),
    ],
    "level_counts": [
        # One EU body, 21 regions, 290 municipalities.
        (CATALOG["level_counts"].example, ("level", "actors"),
         {(EUROPEAN, "1"), (NATIONAL, str(len(NATIONAL_ACTORS))), (REGIONAL, "21"),
          (MUNICIPAL, "290")}),
    ],
    "development_processes": [
        # Two processes under way (the new cohesion policy, replacing the national strategy),
        # both starting from the regions; the Government Offices' coming work is to
        # contribute to further development in Sweden's regions.
        (CATALOG["development_processes"].example,
         ("process", "concerns", "level", "associated", "basedOnNeedsOf", "affects"),
         {(DESIGN_OF_COHESION_POLICY, COHESION_POLICY, NATIONAL, None, "21", "21"),
          (REPLACING_THE_STRATEGY, NATIONAL_STRATEGY, None, None, "21", "21"),
          (COMING_WORK, None, None, REGERINGSKANSLIET, "0", "21")}),
    ],
    "fact_provenance": [
        (CATALOG["fact_provenance"].example,
         ("predicate", "object", "graph", "section", "heading", "document", "documentTitle",
          "file"),
         {(ORG + "hasMember", TILLVAXTVERKET,
           "https://w3id.org/tillvaxtgraf/graph/seed/08-huvuduppgifter",
           f"{ID}source-section/08-huvuduppgifter", "Huvuduppgifter i utvecklingsansvaret",
           SOURCE_DOCUMENT, "Regionalt tillväxtarbete", "08-huvuduppgifter.ttl")}),
        ({"subject": ASSIGNMENT, "predicate": TG + "deadline"},
         ("object", "section", "heading"),
         {("2019-10-01", f"{ID}source-section/03-regionernas-behov",
           "Regionernas behov lägger grund för vårt arbete")}),
        # Codes come from the reference tables: a file, no section of the text.
        ({"subject": county("13"), "predicate": TG + "nutsCode"},
         ("object", "graph", "section", "file"),
         {("SE231", "https://w3id.org/tillvaxtgraf/graph/reference/regions", None,
           "regions.csv")}),
    ],
    "source_sections": [
        (CATALOG["source_sections"].example,
         ("sequence", "section", "heading", "document", "graph"),
         {(str(n), f"{ID}source-section/{key}", heading, SOURCE_DOCUMENT,
           f"https://w3id.org/tillvaxtgraf/graph/seed/{key}")
          for n, (key, heading) in enumerate(SECTION_HEADINGS)}),
    ],
    "section_facts": [
        # "Regeringens nationella strategi för hållbar regional tillväxt och attraktionskraft
        # 2015-2020 är vägledande för alla som arbetar nationellt eller regionalt ... anger
        # regeringens prioriteringar för den regionala tillväxtpolitiken."
        (CATALOG["section_facts"].example, ("subject", "predicate", "object"),
         {(NATIONAL_STRATEGY, DCTERMS + "creator", REGERINGEN),
          (NATIONAL_STRATEGY, TG + "instrumentKind", INSTRUMENTS["strategi"]),
          (NATIONAL_STRATEGY, TG + "guidesLevel", NATIONAL),
          (NATIONAL_STRATEGY, TG + "guidesLevel", REGIONAL),
          (NATIONAL_STRATEGY, TG + "setsPrioritiesFor", GROWTH_POLICY),
          (GROWTH_WORK, TG + "guidedBy", NATIONAL_STRATEGY)}),
    ],
}

# The funding questions read project data (tables loaded with the mappings in
# data/projects/), of which the bundled data has none: on it their answer is empty. Their
# answers on project data are checked sum by sum in tests/queries/test_funding_queries.py.
FUNDING_QUESTIONS = {
    "funding_amounts": ("county", "source", "granted", "paid", "projects"),
    "top_beneficiaries": ("county", "rank", "beneficiary", "granted"),
    "cofinancing_organisations": ("other", "projects", "grantedTotal"),
    "sub_priority_projects": ("project", "caseNumber", "county", "start"),
    "shared_partners": ("county", "other", "sharedPartners"),
}
for _name, _columns in FUNDING_QUESTIONS.items():
    EXPECTED[_name] = [(CATALOG[_name].example, _columns, set())]

def _rows(answer, columns: tuple[str, ...]) -> list[tuple]:
    return [tuple(row[c].value if c in row else None for c in columns) for row in answer.rows]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def store(bundled_store_path: Path):
    embedded = EmbeddedStore(bundled_store_path)
    yield embedded
    embedded.close()


# --------------------------------------------------------------------------- answers


def test_catalog_is_large_enough():
    assert len(CATALOG) >= 22


def test_every_query_has_expected_answers():
    assert set(EXPECTED) == set(CATALOG)
    for name, cases in EXPECTED.items():
        assert cases[0][0] == CATALOG[name].example, f"{name}: the first case is the example"


CASES = [(name, index) for name in NAMES for index in range(len(EXPECTED.get(name, [])))]


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_answer_matches_the_source_text(store, name, index):
    values, columns, expected = EXPECTED[name][index]
    answer = run_named(store, CATALOG[name], values, max_rows=0)
    assert not answer.truncated
    assert set(columns) <= set(answer.columns), answer.columns
    rows = _rows(answer, columns)
    assert set(rows) == expected
    # One row per answer: a compared column set may repeat only when other columns differ.
    full = _rows(answer, tuple(answer.columns))
    assert len(full) == len(set(full)), f"{name} repeats rows"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_not_answer_columns(store, name):
    query = CATALOG[name]
    answer = run_named(store, query, query.example, max_rows=0)
    assert not {p.variable for p in query.parameters} & set(answer.columns)


@pytest.mark.parametrize("name", NAMES)
def test_row_limit_gives_the_same_first_rows(store, name):
    query = CATALOG[name]
    whole = run_named(store, query, query.example, max_rows=0)
    capped = run_named(store, query, query.example, max_rows=3)
    assert capped.rows == whole.rows[:3]
    assert capped.truncated == (len(whole.rows) > 3)


def test_answers_come_in_a_useful_order(store):
    tasks = run_named(store, CATALOG["main_tasks"], {}, max_rows=0)
    assert [r["label"].value for r in tasks.rows] == [label for _, label in MAIN_TASKS]
    priorities = run_named(store, CATALOG["national_priorities"], {}, max_rows=0)
    assert _rows(priorities, ("priorityLabel", "subPriorityLabel")) == PRIORITY_PAIRS
    sections = run_named(store, CATALOG["source_sections"], {}, max_rows=0)
    assert [r["heading"].value for r in sections.rows] == [h for _, h in SECTION_HEADINGS]
    levels = run_named(store, CATALOG["level_counts"], {}, max_rows=0)
    assert [r["level"].value for r in levels.rows] == [EUROPEAN, NATIONAL, REGIONAL, MUNICIPAL]
    municipalities = run_named(store, CATALOG["county_municipalities"],
                               CATALOG["county_municipalities"].example, max_rows=0)
    codes = [r["code"].value for r in municipalities.rows]
    assert codes == sorted(codes)


def test_source_sections_count_their_facts(store):
    answer = run_named(store, CATALOG["source_sections"], {}, max_rows=0)
    assert all(int(row["triples"].value) > 0 for row in answer.rows)


def test_labels_follow_the_language(store):
    values = {"arena": REGLAB}
    swedish = run_named(store, CATALOG["arena_members"], values, max_rows=0)
    english = run_named(store, CATALOG["arena_members"], {**values, "lang": "en"}, max_rows=0)
    sv = {r["member"].value: r["kindLabel"].value for r in swedish.rows}
    en = {r["member"].value: r["kindLabel"].value for r in english.rows}
    assert sv[TILLVAXTVERKET] == "Statlig myndighet"
    assert en[TILLVAXTVERKET] == "Government agency"
    names_sv = {r["member"].value: r["label"].value for r in swedish.rows}
    names_en = {r["member"].value: r["label"].value for r in english.rows}
    assert (names_sv[TILLVAXTVERKET], names_sv[SKR]) == (
        "Tillväxtverket", "Sveriges Kommuner och Regioner")
    # The official English names.
    assert (names_en[TILLVAXTVERKET], names_en[SKR]) == (
        "Swedish Agency for Economic and Regional Growth",
        "Swedish Association of Local Authorities and Regions")


# --------------------------------------------------------------------------- grlc substitution


def _grlc_text(query: NamedQuery, bound: dict[str, Term]) -> str:
    """The query as grlc runs it: parameter variables replaced by the values' syntax."""
    text = query.sparql
    for variable, term in bound.items():
        syntax = term.to_ntriples()
        text = re.sub(r"\?" + re.escape(variable) + r"(?![A-Za-z0-9_])",
                      lambda _m, s=syntax: s, text)
    return text


@pytest.mark.parametrize("name", NAMES)
def test_literal_substitution_gives_the_same_answer(store, name):
    """grlc pastes values into the text; the query must stay valid and mean the same."""
    query = CATALOG[name]
    bound = query.bind(query.example)
    text = _grlc_text(query, bound)
    for variable in bound:
        assert not re.search(r"\?" + variable + r"(?![A-Za-z0-9_])", text)
    columns, rows = store.select(text)
    answer = run_named(store, query, query.example, max_rows=0)
    assert columns == answer.columns
    assert rows == answer.rows


def test_labels_fall_back_when_the_language_is_missing(store):
    """A language without labels (grlc does not check enumerations) falls back to Swedish."""
    query = CATALOG["arena_members"]
    bound = query.bind({"arena": REGLAB})
    bound["__lang"] = Term.literal("de")
    _, rows = store.select(_grlc_text(query, bound))
    labels = {row["member"].value: row["label"].value for row in rows}
    assert labels[TILLVAXTVERKET] == "Tillväxtverket"
    assert all(not label.startswith("http") for label in labels.values())


# --------------------------------------------------------------------------- the catalog itself

KNOWN_DECORATORS = {"summary", "description", "tags", "method", "defaults", "enumerate",
                    "params", "example", "endpoint", "pagination", "endpoint_in_url",
                    "transform", "row_cap"}


def _decorators(name: str) -> dict:
    text = (catalog_dir() / f"{name}.rq").read_text(encoding="utf-8")
    return yaml.safe_load("\n".join(line[2:] for line in text.splitlines()
                                    if line.startswith("#+"))) or {}


def test_names_are_valid_and_unique():
    files = sorted(catalog_dir().glob("*.rq"))
    assert [f.stem for f in files] == NAMES
    assert len({n.lower() for n in NAMES}) == len(NAMES)
    for name in NAMES:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), name


@pytest.mark.parametrize("name", NAMES)
def test_decorators_are_complete(name):
    query = CATALOG[name]
    meta = _decorators(name)
    assert set(meta) <= KNOWN_DECORATORS, set(meta) - KNOWN_DECORATORS
    assert query.summary and query.summary.endswith("?"), "the summary asks the question"
    assert len(query.description) > 40
    assert query.tags and all(isinstance(t, str) and t for t in meta["tags"])
    assert query.method == "GET"
    assert isinstance(meta.get("example"), dict)
    for param in query.parameters:
        assert param.description, f"{name}: parameter '{param.name}' has no help line"
    names = {p.name for p in query.parameters}
    for key in ("defaults", "enumerate", "params"):
        entries = meta.get(key) or []
        assert isinstance(entries, list), f"{key} is a list of one-key mappings (grlc)"
        for entry in entries:
            assert isinstance(entry, dict) and len(entry) == 1
            assert set(entry) <= names, f"{name}: {key} names an unknown parameter {entry}"


def test_a_row_cap_needs_its_variable_its_line_and_known_parameters():
    head = "#+ summary: Which?\n#+ row_cap:\n"
    body = "SELECT ?x WHERE {\n  ?x ?p ?__y .\n  # row cap\n}\n"
    query = parse_query_file("capped", head + "#+   variable: n\n#+   unless: [y]\n" + body)
    assert query.row_cap is not None and query.row_cap.variable == "n"
    assert query.row_cap.applies({}, query)
    assert not query.row_cap.applies(query.bind({"y": "1"}), query)
    assert query.row_cap.order_variable({}, query) == "n"
    spans = parse_query_file("capped", head + "#+   variable: n\n#+   absent: {y: m}\n" + body)
    assert spans.row_cap is not None and spans.row_cap.applies({}, spans)
    assert spans.row_cap.order_variable({}, spans) == "m"
    assert spans.row_cap.order_variable(spans.bind({"y": "1"}), spans) == "n"
    for decorator, text, problem in [
            ("#+   unless: [y]\n", body, "needs a variable"),
            ("#+   variable: n\n", body.replace("# row cap", ""), "one '# row cap' line"),
            ("#+   variable: n\n#+   unless: [z]\n", body, "no parameter(s) ['z']"),
            ("#+   variable: n\n#+   absent: {z: m}\n", body, "no parameter(s) ['z']"),
            ("#+   variable: n\n#+   absent: {y: '?m'}\n", body, "absent maps parameters"),
            ("#+   variable: n\n#+   absent: [y]\n", body, "absent maps parameters")]:
        with pytest.raises(TillvaxtgrafError, match=re.escape(problem)):
            parse_query_file("capped", head + decorator + text)


@pytest.mark.parametrize("name", NAMES)
def test_example_covers_required_parameters(name):
    query = CATALOG[name]
    names = {p.name for p in query.parameters}
    assert set(query.example) <= names
    for param in query.parameters:
        if param.required and param.default is None:
            assert param.name in query.example, f"{name}: example lacks '{param.name}'"
    query.bind(query.example)  # every example value is valid


@pytest.mark.parametrize("name", NAMES)
def test_file_parses_and_runs_on_an_empty_store(name):
    """Every prefix is declared (pyoxigraph knows none) and the text is SPARQL 1.1."""
    text = (catalog_dir() / f"{name}.rq").read_text(encoding="utf-8")
    again = parse_query_file(name, text)
    assert again.form == "SELECT"
    assert again.sparql.lstrip().startswith("PREFIX")
    list(ox.Store().query(again.sparql))


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_enumerations_are_consistent(name):
    query = CATALOG[name]
    for param in query.parameters:
        if param.enum is not None:
            assert param.enum and len(set(param.enum)) == len(param.enum)
            for value in param.enum:
                param.to_term(value)
        if param.default is not None:
            param.to_term(param.default)  # valid, and inside the enumeration if any
        if param.name == "lang":
            assert not param.required and param.default == "sv"
            assert param.enum == ["sv", "en"]


def _code(text: str) -> str:
    """The query without comments, strings and IRIs (what the rules below look at)."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    return re.sub(r"<[^<>\s]*>", "<>", text)


@pytest.mark.parametrize("name", NAMES)
def test_queries_follow_the_house_rules(name):
    query = CATALOG[name]
    code = _code(query.sparql)
    select = re.search(r"\bSELECT\b(.*?)\bWHERE\b", code, re.S | re.I)
    assert select is not None
    # Parameters are never projected by the file (the runner adds them; grlc pastes values).
    assert not re.search(r"\?_", select.group(1)), "a parameter in the SELECT clause"
    assert re.search(r"\bORDER\s+BY\b", code, re.I), "answers need a deterministic order"
    # pyoxigraph's substitutions leave BOUND() false: test parameters with COALESCE instead.
    assert not re.search(r"BOUND\s*\(\s*\?_", code, re.I)
    # Values never reach inside a subquery (its variables are its own).
    for start in [m.start() for m in re.finditer(r"\bSELECT\b", code, re.I)][1:]:
        depth, end = 0, start
        for end in range(code.rfind("{", 0, start), len(code)):
            depth += {"{": 1, "}": -1}.get(code[end], 0)
            if depth == 0:
                break
        assert "?_" not in code[start:end], "a parameter inside a subquery"
    # Transitive paths only along the class and concept hierarchies.
    for path in re.findall(r"(\S+?)[*+](?=\s*[?<\w(])", code):
        assert path.lstrip("^/(") in ("rdfs:subClassOf", "skos:broader"), path
    assert not re.search(r"\b(SERVICE|LOAD|INSERT|DELETE|DROP|CLEAR)\b", code, re.I)


def test_readme_lists_every_query():
    readme = (catalog_dir() / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"`{name}`" in readme, name


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("name", [n for n in NAMES if any(
    p.required and p.default is None for p in CATALOG[n].parameters)])
def test_missing_required_parameter_is_named(name):
    query = CATALOG[name]
    for param in query.parameters:
        if param.required and param.default is None:
            values = {k: v for k, v in query.example.items() if k != param.name}
            with pytest.raises(ParameterError) as caught:
                query.bind(values)
            assert caught.value.parameter == param.name
            assert param.name in str(caught.value)


@pytest.mark.parametrize("bad", [
    "not an iri", "region/01", "http://x/a>b", '"} ; DROP ALL ; #', "<http://x/>",
    'http://x/"quoted"', "http://x/a b", "http://x/{}", "http://x/\\u0041", "",
])
def test_iri_parameters_refuse_what_is_not_an_iri(bad):
    query = CATALOG["arena_members"]
    with pytest.raises(ParameterError) as caught:
        query.bind({"arena": bad})
    assert caught.value.parameter == "arena"


def test_optional_iri_parameter_is_checked_too():
    with pytest.raises(ParameterError) as caught:
        CATALOG["main_task_holders"].bind({"county": "> } ; DROP ALL ; #"})
    assert caught.value.parameter == "county"


@pytest.mark.parametrize(("name", "parameter", "value"), [
    ("arena_members", "lang", "de"),
    ("arena_members", "lang", "sv\" ; DROP ALL ; #"),
    ("entity_relations", "direction", "sideways"),
    ("government_instruments", "kind", f"{ID}instrument/forordning-ish"),
    ("actors_by_level", "level", f"{ID}level/global"),
])
def test_values_outside_the_enumeration_are_refused(name, parameter, value):
    query = CATALOG[name]
    with pytest.raises(ParameterError) as caught:
        query.bind({**query.example, parameter: value})
    assert caught.value.parameter == parameter
    assert "not one of" in str(caught.value)


def test_unknown_parameter_is_named():
    with pytest.raises(ParameterError) as caught:
        CATALOG["arenas"].bind({"arena": REGLAB})
    assert caught.value.parameter == "arena"


def _triples(store) -> int:
    _, rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(rows[0]["n"].value)


HOSTILE_TEXTS = [
    '"} ; DROP ALL ; #',
    "'} ; DROP ALL ; #",
    '") || true || ("',
    "x\" } UNION { ?entity ?p ?o } #",
    "SKL\\",
    'SKL"',
    "}\n} ; CLEAR ALL",
    "<http://x/>",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_injection_attempts_are_plain_literals(store, text):
    """A string parameter is bound as one literal: the query looks for that text, nothing more."""
    query = CATALOG["find_entities"]
    before = _triples(store)
    assert query.bind({"text": text})["_text"] == Term.literal(text)
    answer = run_named(store, query, {"text": text}, max_rows=0)
    harmless = run_named(store, query, {"text": "no such name anywhere"}, max_rows=0)
    assert answer.rows == harmless.rows == []
    assert _triples(store) == before
    # The catalog still answers as before.
    assert _rows(run_named(store, query, {"text": "SKL"}, max_rows=0), ("entity",)) == [(SKR,)]


def test_a_quote_inside_a_name_is_searched_for_literally(store):
    """Text that contains SPARQL syntax is matched as text (nothing here has such a name)."""
    query = CATALOG["find_entities"]
    plain = run_named(store, query, {"text": "Vinnova"}, max_rows=0)
    quoted = run_named(store, query, {"text": 'Vinnova") || ("'}, max_rows=0)
    assert _rows(plain, ("entity",)) == [(VINNOVA,)]
    assert quoted.rows == []
