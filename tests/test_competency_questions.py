"""Competency questions for tillvaxtgraf.

Each test asks one question of the loaded graph in SPARQL and compares the answer with what
the source text (Tillväxtverket, "Regionalt tillväxtarbete", about 2019) says. The expected
answers are written from the text, not copied from query output.

The `loaded_store` fixture (tests/conftest.py) is a store with all bundled data loaded; its
queries see the union of the named graphs as the default graph.
"""

from __future__ import annotations

import pytest

ID = "https://w3id.org/tillvaxtgraf/id/"

PREFIXES = """
PREFIX tg: <https://w3id.org/tillvaxtgraf/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX id: <https://w3id.org/tillvaxtgraf/id/>
"""

# The 21 counties (län) in 2019, by county code; each has one region (RUA).
COUNTY_CODES = [
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
    "14", "17", "18", "19", "20", "21", "22", "23", "24", "25",
]
REGIONS = {f"{ID}region/{code}" for code in COUNTY_CODES}

TILLVAXTVERKET = f"{ID}agency/tillvaxtverket"
VINNOVA = f"{ID}agency/vinnova"
SKR = f"{ID}organisation/skr"
REGERINGEN = f"{ID}government/regeringen"
REGERINGSKANSLIET = f"{ID}government/regeringskansliet"
NARINGSDEPARTEMENTET = f"{ID}ministry/naringsdepartementet"
REGLAB = f"{ID}arena/reglab"
FORUM = f"{ID}arena/forum-hallbar-regional-tillvaxt"
SFS_2017_583 = f"{ID}regulation/sfs-2017-583"
NATIONAL_STRATEGY = f"{ID}strategy/nationell-strategi-2015-2020"
ANSLAG_1_1 = f"{ID}funding-source/anslag-1-1-regionala-tillvaxtatgarder"
ESI_FUNDS = f"{ID}funding-source/europeiska-struktur-och-investeringsfonderna"
LEVELS = {f"{ID}level/{key}" for key in ("european", "national", "regional", "municipal")}


def q(body: str) -> str:
    return PREFIXES + body


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows]


# --------------------------------------------------------------------------- arenas


def test_cq01_members_of_reglab(loaded_store):
    """Which actors make up Reglab? The 21 regions, SKL, Vinnova and Tillväxtverket."""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?member WHERE {
            id:arena\\/reglab a tg:CollaborationArena ; org:hasMember ?member .
        }"""))
    members = set(column(rows, "member"))
    assert members == REGIONS | {SKR, VINNOVA, TILLVAXTVERKET}
    assert len(members) == 24


def test_cq02_arena_gathering_regions_government_and_agencies(loaded_store):
    """Which arena gathers representatives of the regions, the Government and the agencies?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?arena ?name WHERE {
            ?arena a tg:CollaborationArena ;
                   skos:prefLabel ?name ;
                   tg:gathersRepresentativesOf id:government\\/regeringen ,
                                               id:region\\/01 , id:region\\/25 ,
                                               ?agencies .
            ?agencies a tg:ActorGroup ; skos:prefLabel "Berörda statliga myndigheter"@sv .
            FILTER (lang(?name) = "sv")
        }"""))
    assert rows == [
        {"arena": FORUM, "name": "Forum för hållbar regional tillväxt och attraktionskraft"}
    ]


def test_cq03_forum_purposes(loaded_store):
    """What does the Forum aim at? More dialogue, collaboration, learning, dissemination."""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?purpose WHERE {
            id:arena\\/forum-hallbar-regional-tillvaxt tg:hasPurpose/skos:prefLabel ?purpose .
            FILTER (lang(?purpose) = "sv")
        }"""))
    assert set(column(rows, "purpose")) == {
        "Ökad dialog", "Samverkan", "Lärande", "Kunskapsspridning"
    }


def test_cq04_skl_is_skr(loaded_store):
    """SKL (the text's name) and SKR (its name since 27 November 2019) are one organisation."""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?alt WHERE {
            id:organisation\\/skr a tg:InterestOrganisation ; skos:altLabel ?alt .
        }"""))
    assert {"SKL", "SKR", "Sveriges Kommuner och Landsting"} <= set(column(rows, "alt"))


# --------------------------------------------------------------------------- priorities

PRIORITIES = {
    "Innovation och företagande": {
        "Innovation och forskning – regionala innovationsmiljöer",
        "Entreprenörskap och företagande",
        "Miljödriven näringslivsutveckling i alla branscher och energifrågor",
        "Kommersialisering och internationalisering",
        "Kapitalförsörjning",
    },
    "Attraktiva miljöer och tillgänglighet": {
        "Tillgänglighet genom transportsystemet och IT-kommunikation",
        "Kommersiell och offentlig service",
        "Fysisk planering och boende",
        "Kultur, fritid och besöksnäring",
    },
    "Kompetensförsörjning": {
        "Matchning på arbetsmarknaden",
        "Fungerande strukturer för utbildning, kompetensförsörjning och livslångt lärande",
        "Tillvaratagande av hela arbetskraften – ökat arbetskraftsutbud genom integration "
        "och mångfald",
        "Regionalt grundläggande kompetensförsörjningsarbete – centralt verktyg med "
        "fastställda målsättningar i samverkan med berörda aktörer samt insatser inom "
        "fokusområdena validering, yrkesvux inom den kommunala vuxenutbildningen och lärcentra",
    },
    "Internationellt samarbete": {
        "Utvecklat regionalt samarbete – både i närområdet och globalt",
        "Export och handelsfrämjande",
        "Erfarenhetsutbyte och lärande",
    },
}


def test_cq05_four_national_priorities(loaded_store):
    """What are the national strategy's four priority areas, in the text's order?"""
    rows = loaded_store.select(q("""
        SELECT ?name WHERE {
            id:strategy\\/nationell-strategi-2015-2020 tg:hasPriorityScheme ?scheme .
            ?p a tg:Priority ; skos:topConceptOf ?scheme ; tg:sequence ?n ; skos:prefLabel ?name .
            FILTER (lang(?name) = "sv")
        } ORDER BY ?n"""))
    assert column(rows, "name") == list(PRIORITIES)


def test_cq06_sub_priorities(loaded_store):
    """Which sub-priorities belong to each national priority? 5, 4, 4 and 3 of them."""
    rows = loaded_store.select(q("""
        SELECT ?priority ?sub WHERE {
            ?p a tg:Priority ; skos:prefLabel ?priority ; skos:narrower ?s .
            ?s a tg:SubPriority ; skos:broader ?p ; skos:prefLabel ?sub .
            FILTER (lang(?priority) = "sv" && lang(?sub) = "sv")
        }"""))
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["priority"], set()).add(row["sub"])
    assert found == PRIORITIES
    assert [len(found[p]) for p in PRIORITIES] == [5, 4, 4, 3]


def test_cq07_priorities_in_english(loaded_store):
    """Every priority and sub-priority has an English name; 4 + 16 concepts in the scheme."""
    rows = loaded_store.select(q("""
        SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
            ?c skos:inScheme id:scheme\\/national-priorities ; skos:prefLabel ?en .
            FILTER (lang(?en) = "en")
        }"""))
    assert rows == [{"n": "20"}]


# --------------------------------------------------------------------------- main tasks


def test_cq08_five_main_tasks(loaded_store):
    """What are the five main tasks (huvuduppgifter) of the development responsibility?"""
    rows = loaded_store.select(q("""
        SELECT ?task WHERE {
            id:responsibility\\/regionalt-utvecklingsansvar tg:hasMainTask ?t .
            ?t a tg:MainTask ; tg:sequence ?n ; skos:prefLabel ?task .
            FILTER (lang(?task) = "sv")
        } ORDER BY ?n"""))
    assert column(rows, "task") == [
        "Arbeta fram och fastställa en strategi för utvecklingen i länet",
        "Samordna insatser för att genomföra denna strategi",
        "Besluta om hur medel för regionalt tillväxtarbete ska användas",
        "Följa upp, utvärdera och redovisa resultaten av tillväxtarbetet till regeringen",
        "Utföra uppgifter inom ramen för EU:s strukturfondsprogram",
    ]


def test_cq09_every_region_holds_the_five_tasks(loaded_store):
    """Does every regionally development-responsible actor hold all five main tasks?"""
    rows = loaded_store.select(q("""
        SELECT ?region (COUNT(DISTINCT ?task) AS ?n) WHERE {
            ?region a tg:Region ; tg:holdsResponsibility/tg:hasMainTask ?task .
        } GROUP BY ?region"""))
    assert {row["region"] for row in rows} == REGIONS
    assert {row["n"] for row in rows} == {"5"}


def test_cq10_results_are_reported_to_the_government(loaded_store):
    """To whom do the regions report the results of growth work? To the Government."""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?to WHERE { ?task a tg:MainTask ; tg:reportTo ?to . }"""))
    assert column(rows, "to") == [REGERINGEN]


# --------------------------------------------------------------------------- regulation


def test_cq11_regulation_on_agencies_participation(loaded_store):
    """Which statute contains provisions on state agencies' participation in growth work?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?reg ?sfs ?title WHERE {
            ?reg a eli:LegalResource ; eli:id_local ?sfs ; eli:title ?title ;
                 tg:containsProvisionsOn ?topic .
            ?topic skos:prefLabel
                "Statliga myndigheters medverkan i det regionala tillväxtarbetet"@sv .
        }"""))
    assert rows == [{
        "reg": SFS_2017_583,
        "sfs": "2017:583",
        "title": "Förordning (2017:583) om regionalt tillväxtarbete",
    }]


# --------------------------------------------------------------------------- steering


def test_cq12_government_steers_through(loaded_store):
    """Through which kinds of instrument does the Government steer?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?kind WHERE {
            id:government\\/regeringen a tg:Government ;
                tg:steersThrough/skos:prefLabel ?kind .
            FILTER (lang(?kind) = "sv")
        }"""))
    assert set(column(rows, "kind")) == {
        "Lag", "Förordning", "Strategi", "Regleringsbrev", "Villkorsbeslut"
    }


def test_cq13_goal_of_regional_growth_policy(loaded_store):
    """What is the goal of regional growth policy, and which level realises the policy?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?goal ?level WHERE {
            ?policy a tg:Policy ; skos:prefLabel "Den regionala tillväxtpolitiken"@sv ;
                    tg:hasGoal/skos:prefLabel ?goal ; tg:implementedAtLevel ?level .
            FILTER (lang(?goal) = "sv")
        }"""))
    assert rows == [{
        "goal": "Utvecklingskraft i hela landet med stärkt lokal och regional konkurrenskraft",
        "level": f"{ID}level/regional",
    }]


def test_cq14_designated_agencies(loaded_store):
    """Who besides the regions is designated to contribute to implementing the policy?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?group WHERE {
            ?g tg:contributesToImplementationOf ?policy ; skos:prefLabel ?group .
            ?policy skos:prefLabel "Den regionala tillväxtpolitiken"@sv .
            FILTER (lang(?group) = "sv")
        }"""))
    assert column(rows, "group") == ["Särskilt utpekade myndigheter"]


# --------------------------------------------------------------------------- strategies


def test_cq15_national_strategy(loaded_store):
    """Who issued the national strategy, for which years, and whom does it guide?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?creator ?start ?end ?kind WHERE {
            id:strategy\\/nationell-strategi-2015-2020 a tg:NationalStrategy ;
                dcterms:creator ?creator ; tg:startYear ?start ; tg:endYear ?end ;
                tg:instrumentKind ?kind .
        }"""))
    assert rows == [{
        "creator": REGERINGEN, "start": "2015", "end": "2020", "kind": f"{ID}instrument/strategi"
    }]
    guided = loaded_store.select(q("""
        SELECT DISTINCT ?level WHERE {
            id:strategy\\/nationell-strategi-2015-2020 tg:guidesLevel ?level .
        }"""))
    assert set(column(guided, "level")) == {f"{ID}level/national", f"{ID}level/regional"}


def test_cq16_every_region_produces_a_development_strategy(loaded_store):
    """Does each of the 21 regions produce a cross-sectoral regional development strategy?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?region WHERE {
            ?region a tg:Region ; tg:producesStrategy ?s ; tg:responsibleForCounty ?county .
            ?s a tg:RegionalDevelopmentStrategy ; dcterms:creator ?region ;
               tg:forCounty ?county ; tg:crossSectoral true .
        }"""))
    assert set(column(rows, "region")) == REGIONS


def test_cq17_two_development_processes(loaded_store):
    """Which two development processes are under way, and what do they concern?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?about WHERE { ?p a tg:DevelopmentProcess ; tg:concerns ?about . }"""))
    assert set(column(rows, "about")) == {
        f"{ID}policy/sammanhallningspolitik-2021-2027", NATIONAL_STRATEGY
    }
    period = loaded_store.select(q("""
        SELECT ?start ?end WHERE {
            id:policy\\/sammanhallningspolitik-2021-2027 tg:programmePeriod ?p .
            ?p tg:startYear ?start ; tg:endYear ?end .
        }"""))
    assert period == [{"start": "2021", "end": "2027"}]


# --------------------------------------------------------------------------- assignment


def test_cq18_who_compiles_the_regions_reports(loaded_store):
    """Who compiles and analyses the regions' reports, for whom, and by which date?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?carrier ?for ?deadline ?basisOfWorkBy WHERE {
            ?a a tg:Assignment ;
               tg:taskDescription "sammanställa och analysera regionernas rapporter"@sv ;
               tg:assignedTo ?carrier ; tg:reportTo ?for ; tg:deadline ?deadline ;
               tg:assignmentObject ?reports ; tg:basisFor ?work .
            ?work prov:wasAssociatedWith ?basisOfWorkBy .
            ?reports a tg:Report .
            FILTER (datatype(?deadline) = xsd:date)
        }"""))
    assert rows == [{
        "carrier": TILLVAXTVERKET,
        "for": REGERINGSKANSLIET,
        "deadline": "2019-10-01",
        "basisOfWorkBy": REGERINGSKANSLIET,
    }]


def test_cq19_invitation_to_the_regions(loaded_store):
    """Who offered the regions to report future priorities and challenges, and when?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?by ?when (COUNT(DISTINCT ?region) AS ?regions) WHERE {
            ?i a tg:Invitation ; tg:offeredBy ?by ; tg:offerDate ?when ;
               tg:offeredTo ?region ; tg:requestedReport ?report .
            ?a tg:assignmentObject ?report .
        } GROUP BY ?by ?when"""))
    assert rows == [{"by": REGERINGSKANSLIET, "when": "2018-11", "regions": "21"}]


def test_cq20_dialogues_with_the_regions(loaded_store):
    """Who holds the dialogues with the regions, and who takes part in them?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?holder ?participant ?parent WHERE {
            ?d a tg:Dialogue ; tg:heldBy ?holder ; tg:participant ?participant ;
               tg:withActor id:region\\/01 .
            ?holder org:unitOf ?parent .
        }"""))
    assert rows == [{
        "holder": NARINGSDEPARTEMENTET,
        "participant": TILLVAXTVERKET,
        "parent": REGERINGSKANSLIET,
    }]
    assert loaded_store.ask(q("""
        ASK {
            ?d a tg:Dialogue ; tg:runsParallelTo ?a .
            ?a a tg:Assignment ; tg:assignedTo id:agency\\/tillvaxtverket .
        }"""))


# --------------------------------------------------------------------------- funding


def test_cq21_what_funds_operative_growth_work(loaded_store):
    """What funds the operative growth work, and in which form is it mainly carried out?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?source ?name WHERE {
            ?work a tg:GrowthWork ; skos:prefLabel "Det operativa tillväxtarbetet"@sv ;
                  tg:centralFundingSource ?source .
            ?source a tg:FundingSource ; tg:funds ?work ; skos:prefLabel ?name .
            FILTER (lang(?name) = "sv")
        }"""))
    assert {(r["source"], r["name"]) for r in rows} == {
        (ANSLAG_1_1, "Anslag 1:1 Regionala tillväxtåtgärder"),
        (ESI_FUNDS, "De europeiska struktur- och investeringsfonderna"),
    }
    form = loaded_store.select(q("""
        SELECT ?form WHERE {
            ?work skos:prefLabel "Det operativa tillväxtarbetet"@sv ;
                  tg:predominantWorkForm/skos:prefLabel ?form .
            FILTER (lang(?form) = "sv")
        }"""))
    assert form == [{"form": "Projektform"}]


def test_cq22_growth_work_is_cofinanced_by_many_actors(loaded_store):
    """Is growth work as a whole financed by many actors beyond the two central sources?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?by WHERE {
            id:activity\\/regionalt-tillvaxtarbete tg:cofinancedBy/skos:prefLabel ?by .
            FILTER (lang(?by) = "en")
        }"""))
    assert column(rows, "by") == ["A large number of funding actors"]


# --------------------------------------------------------------------------- coordination


def test_cq23_coordination_who_with_whom_where_under_what(loaded_store):
    """Who coordinates, with actors at which levels, through which arenas, under what?"""
    coordinators = loaded_store.select(q("""
        SELECT DISTINCT ?who WHERE { ?c a tg:Coordination ; tg:coordinatedBy ?who . }"""))
    assert set(column(coordinators, "who")) == REGIONS
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?level ?arena ?instrument ?task WHERE {
            ?c a tg:Coordination ; tg:coordinatesWithLevel ?level ; tg:throughArena ?arena ;
               tg:underInstrument ?instrument ; tg:performsTask ?task .
        }"""))
    assert {r["level"] for r in rows} == LEVELS - {f"{ID}level/regional"}
    assert {r["arena"] for r in rows} == {REGLAB, FORUM}
    assert {r["instrument"] for r in rows} == {SFS_2017_583, NATIONAL_STRATEGY}
    assert {r["task"] for r in rows} == {f"{ID}task/samordna-insatser"}


def test_cq24_coordination_money(loaded_store):
    """With which money? The coordination is part of growth work funded by which sources?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?source WHERE {
            ?c a tg:Coordination ; dcterms:isPartOf/tg:fundedBy ?source .
        }"""))
    assert set(column(rows, "source")) == {ANSLAG_1_1, ESI_FUNDS}


def test_cq25_who_regions_meet_in_coordination_arenas(loaded_store):
    """Whom do the regions meet in the coordination arenas, other than other regions?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?other WHERE {
            ?c a tg:Coordination ; tg:throughArena ?arena .
            { ?arena org:hasMember ?other } UNION { ?arena tg:gathersRepresentativesOf ?other }
            FILTER NOT EXISTS { ?other a tg:Region }
        }"""))
    assert set(column(rows, "other")) == {
        SKR, VINNOVA, TILLVAXTVERKET, REGERINGEN,
        f"{ID}actor-group/berorda-statliga-myndigheter",
    }


def test_cq26_european_level_actor(loaded_store):
    """Which actor at European level stands behind the structural fund programmes?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?actor WHERE {
            ?task a tg:MainTask ; tg:concerns ?programme .
            ?programme a tg:FundingProgramme ; tg:providedBy ?actor .
            ?actor tg:level id:level\\/european .
        }"""))
    assert column(rows, "actor") == [f"{ID}eu-body/europeiska-unionen"]


# --------------------------------------------------------------------------- levels


def test_cq27_levels_influencing_growth_work(loaded_store):
    """Initiatives from which levels of society influence regional growth work?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?level WHERE {
            id:activity\\/regionalt-tillvaxtarbete tg:influencedByLevel ?level .
            ?level a tg:Level ; skos:inScheme id:scheme\\/levels .
        }"""))
    assert set(column(rows, "level")) == LEVELS


def test_cq28_long_term_challenges(loaded_store):
    """Which challenges are fundamental to the long-term growth work?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?name WHERE {
            id:activity\\/regionalt-tillvaxtarbete tg:longTermPerspective true ;
                tg:fundamentalChallenge/skos:prefLabel ?name .
            FILTER (lang(?name) = "sv")
        }"""))
    assert set(column(rows, "name")) == {"Den demografiska utvecklingen", "Klimatförändringar"}


# --------------------------------------------------------------------------- follow-up


def test_cq29_follow_up_system(loaded_store):
    """Which new national system follows up project funds, of what, and when implemented?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?system ?source ?year ?level WHERE {
            ?system a tg:FollowUpSystem ; tg:followsUp ?source ;
                    tg:implementationYear ?year ; tg:atLevel ?level .
        }"""))
    assert rows == [{
        "system": f"{ID}follow-up-system/uppfoljning-av-projektmedel-anslag-1-1",
        "source": ANSLAG_1_1,
        "year": "2019",
        "level": f"{ID}level/national",
    }]


def test_cq30_knowledge_development_is_shared(loaded_store):
    """Between whom is responsibility for knowledge development shared?"""
    rows = loaded_store.select(q("""
        SELECT DISTINCT ?level WHERE {
            ?a skos:prefLabel "Kunskapsutveckling"@sv ; tg:responsibilitySharedBetween ?level .
        }"""))
    assert set(column(rows, "level")) == {f"{ID}level/regional", f"{ID}level/national"}


# --------------------------------------------------------------------------- provenance


@pytest.mark.parametrize(
    ("pattern", "section"),
    [
        ("id:arena\\/reglab org:hasMember id:agency\\/tillvaxtverket", "08-huvuduppgifter"),
        ("?a tg:deadline ?d", "03-regionernas-behov"),
        ("id:regulation\\/sfs-2017-583 eli:id_local ?x", "05-forordning-2017-583"),
        ("?f tg:implementationYear ?y", "10-resultat-och-uppfoljning"),
        ("id:government\\/regeringen tg:steersThrough ?i", "01-sa-styrs-tillvaxtarbetet"),
        ("?s tg:funds ?w", "09-genomforande-och-finansiering"),
    ],
)
def test_cq31_which_section_states_a_fact(loaded_store, pattern, section):
    """Which section of the source text states a given fact?"""
    rows = loaded_store.select(q(f"""
        SELECT DISTINCT ?section ?heading WHERE {{
            GRAPH ?g {{ {pattern} }}
            ?g prov:wasDerivedFrom ?section .
            ?section a tg:SourceSection ; tg:heading ?heading ;
                     dcterms:isPartOf ?source .
            ?source dcterms:publisher id:agency\\/tillvaxtverket .
            FILTER (lang(?heading) = "sv")
        }}"""))
    assert column(rows, "section") == [f"{ID}source-section/{section}"]


def test_cq32_source_document_and_sections(loaded_store):
    """What is the source, who published it, and what are its sections in reading order?"""
    rows = loaded_store.select(q("""
        SELECT ?title ?publisher ?heading WHERE {
            ?source a prov:Entity ; dcterms:title ?title ; dcterms:publisher ?publisher .
            ?section a tg:SourceSection ; dcterms:isPartOf ?source ; tg:sequence ?n ;
                     tg:heading ?heading .
            FILTER (lang(?heading) = "sv")
        } ORDER BY ?n"""))
    assert {(r["title"], r["publisher"]) for r in rows} == {
        ("Regionalt tillväxtarbete", TILLVAXTVERKET)
    }
    assert column(rows, "heading") == [
        "Regionalt tillväxtarbete",
        "Så styrs tillväxtarbetet - mål, riktlinjer och strategier",
        "Den nationella strategin sätter ramarna",
        "Regionernas behov lägger grund för vårt arbete",
        "Fyra nationella prioriteringar",
        "Förordning (2017:583) om regionalt tillväxtarbete",
        "Regionala utvecklingsstrategier visar vägen",
        "Regioner och samordning",
        "Huvuduppgifter i utvecklingsansvaret",
        "Genomförande och finansiering",
        "Resultat och uppföljning",
    ]


def test_cq33_twenty_one_regions(loaded_store):
    """Sweden consists of 21 regions: how many regionally development-responsible actors?"""
    rows = loaded_store.select(q("""
        SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a tg:Region . }"""))
    assert rows == [{"n": "21"}]
