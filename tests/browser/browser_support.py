"""Helpers for the browser tests: the hostile labels, the accessibility check, paths."""

from __future__ import annotations

import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
AXE_URL = "/static/vendor/axe-core/4.14.1/axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

ID = "https://w3id.org/tillvaxtgraf/id/"
SCRIPT_IRI = ID + "organisation/test-script-label"
BOLD_IRI = ID + "organisation/test-bold-label"
SCRIPT_LABEL = "<script>alert(1)</script> Skriptbyrån"
BOLD_LABEL = '"quotes" & <b>bold</b> <img src=x onerror=alert(2)> Fetstilsverket'
HOSTILE_GRAPH = "https://w3id.org/tillvaxtgraf/graph/test/hostile-labels"


def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


HOSTILE_TURTLE = f"""\
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<{SCRIPT_IRI}> a org:Organization ;
    skos:prefLabel {_turtle_string(SCRIPT_LABEL)}@sv , {_turtle_string(SCRIPT_LABEL)}@en ;
    dcterms:description "<i>Beskrivning</i> <script>alert(3)</script>"@sv .
<{BOLD_IRI}> a org:Organization ;
    skos:prefLabel {_turtle_string(BOLD_LABEL)}@sv , {_turtle_string(BOLD_LABEL)}@en .
<{ID}arena/reglab> org:hasMember <{SCRIPT_IRI}> , <{BOLD_IRI}> .
"""


SERIOUS = ("serious", "critical")


def axe_violations(tab, name: str) -> list[dict]:  # noqa: ANN001 - Playwright's Page
    """Run axe-core (the vendored file: no network) on the page as it is now.

    Returns the violations of impact serious or critical; the whole report is saved to
    test-artifacts/browser/axe-<name>.json.
    """
    # From this server's static files: the page's Content-Security-Policy allows them.
    tab.add_script_tag(url=AXE_URL)
    report = tab.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300)}))}));
    }""")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(report, indent=2,
                                                           ensure_ascii=False))
    return [v for v in report if v["impact"] in SERIOUS]


def wait_until(tab, expression: str, timeout: float = 15.0) -> None:  # noqa: ANN001
    """Poll a JavaScript expression until it is true (Playwright's wait_for_function
    evaluates strings in the page, which the pages' CSP forbids, rightly)."""
    deadline = time.monotonic() + timeout
    while not tab.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)
