"""The OpenAPI document: valid OpenAPI 3.1, and the service keeps its promises."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from tillvaxtgraf.queries.catalog import load_catalog


def test_document_is_valid_openapi_31(api):
    document = api.get("/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    for name in load_catalog():
        assert f"/api/queries/{name}" in document["paths"]


def test_docs_page_uses_vendored_files_only(api):
    page = api.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui-dist/" in page
    assert "https://" not in page.split("<body>", 1)[1].split("</footer>")[0]
    with api.get("/static/vendor/swagger-ui-dist/5.35.0/swagger-ui-bundle.js") as script:
        assert script.status_code == 200


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_server_errors_or_schema_breaks(case):
    case.call_and_validate()
