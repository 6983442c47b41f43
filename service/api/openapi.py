"""The OpenAPI 3.1 document, generated from the query catalog and the JSON endpoints."""

from __future__ import annotations

from typing import Any

from tillvaxtgraf import __version__
from tillvaxtgraf.queries.catalog import NamedQuery, Parameter

ERROR = {"$ref": "#/components/schemas/Error"}


def _error_responses(*codes: int) -> dict[str, Any]:
    texts = {400: "Bad request: the message names the parameter or problem",
             404: "Not found", 406: "No acceptable format",
             413: "Request too large", 415: "Unsupported body type",
             503: "Time limit reached or store unavailable"}
    return {
        str(code): {
            "description": texts[code],
            "content": {"application/json": {"schema": ERROR},
                        "text/plain": {"schema": {"type": "string"}},
                        "text/html": {"schema": {"type": "string"}}},
        }
        for code in codes
    }


def _schema(param: Parameter) -> dict[str, Any]:
    if param.kind == "iri":
        schema: dict[str, Any] = {"type": "string", "format": "iri", "minLength": 1}
    elif param.kind == "typed" and param.datatype and param.datatype.endswith("#integer"):
        schema = {"type": "integer"}
    elif param.kind == "typed" and param.datatype and param.datatype.endswith(
            ("#decimal", "#double", "#float")):
        schema = {"type": "number"}
    elif param.kind == "typed" and param.datatype and param.datatype.endswith("#boolean"):
        schema = {"type": "boolean"}
    elif param.kind == "typed" and param.datatype and param.datatype.endswith("#date"):
        schema = {"type": "string", "format": "date"}
    elif param.kind == "typed" and param.datatype and param.datatype.endswith("#gYear"):
        schema = {"type": "string", "pattern": "^[0-9]{4}$"}
    else:
        schema = {"type": "string", "minLength": 1, "maxLength": 1000}
    if param.enum is not None:
        schema = {"type": "string", "enum": param.enum}
    if param.default is not None:
        schema["default"] = int(param.default) if schema.get("type") == "integer" \
            else param.default
    return schema


def schema_type(param: Parameter) -> str:
    """The JSON type of a parameter's values."""
    return _schema(param).get("type", "string")


def _answers() -> dict[str, Any]:
    return {
        "application/json": {"schema": {"$ref": "#/components/schemas/RowsAnswer"}},
        "application/sparql-results+json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
        "text/html": {"schema": {"type": "string"}},
    }


def _query_path(query: NamedQuery) -> dict[str, Any]:
    parameters = [
        {"name": p.name, "in": "query", "required": p.required and p.default is None,
         "description": p.description or p.type_label, "schema": _schema(p)}
        for p in query.parameters
    ]
    parameters.append({"name": "format", "in": "query", "required": False,
                       "description": "Answer format (instead of the Accept header).",
                       "schema": {"type": "string",
                                  "enum": ["json", "sparql-json", "csv", "html"]}})
    body_props = {p.name: _schema(p) for p in query.parameters}
    required = [p.name for p in query.parameters if p.required and p.default is None]
    body_schema: dict[str, Any] = {"type": "object", "properties": body_props,
                                   "additionalProperties": False}
    if required:
        body_schema["required"] = required
    responses = {"200": {"description": "The answer", "content": _answers()},
                 **_error_responses(400, 406, 503)}
    operation = {
        "summary": query.summary,
        "description": query.description,
        "tags": query.tags or ["queries"],
        "responses": responses,
    }
    return {
        "get": {**operation, "operationId": f"query_{query.name}", "parameters": parameters},
        "post": {
            **operation,
            "operationId": f"query_{query.name}_post",
            "requestBody": {"required": bool(required),
                            "content": {"application/json": {"schema": body_schema}}},
            "responses": {**responses, **_error_responses(415)},
        },
    }


def openapi_document(server: str, catalog: dict[str, NamedQuery]) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/queries": {"get": {
            "operationId": "list_queries",
            "summary": "The catalog of named questions",
            "tags": ["catalog"],
            "responses": {"200": {"description": "Every named query with its parameters",
                                  "content": {"application/json": {"schema": {
                                      "$ref": "#/components/schemas/Catalog"}}}}},
        }},
        "/healthz": {"get": {
            "operationId": "health",
            "summary": "Whether the service and its store can answer",
            "tags": ["service"],
            "responses": {"200": {"description": "Healthy",
                                  "content": {"application/json": {"schema": {
                                      "type": "object"}}}},
                          **_error_responses(503)},
        }},
        "/-/graphs": {"get": {
            "operationId": "graphs",
            "summary": "The named graphs with their sources, sizes and load times",
            "tags": ["service"],
            "responses": {"200": {"description": "The graphs",
                                  "content": {"application/json": {"schema": {
                                      "type": "object"}},
                                      "text/html": {"schema": {"type": "string"}}}}},
        }},
    }
    for query in catalog.values():
        paths[f"/api/queries/{query.name}"] = _query_path(query)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tillvaxtgraf API",
            "version": __version__,
            "summary": "Named questions about coordination in Swedish regional growth work.",
            "description": "Each named query is a SPARQL query from the catalog; parameters "
                           "are bound as RDF terms. The SPARQL 1.1 endpoint is at /sparql.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {"schemas": {
            "Error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer"}, "title": {"type": "string"},
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "parameter": {"type": "string"}, "line": {"type": "integer"},
                    "column": {"type": "integer"}, "hint": {"type": "string"},
                    "source": {"type": "string"},
                },
            },
            "RowsAnswer": {
                "type": "object",
                "required": ["query", "parameters"],
                "properties": {
                    "query": {"type": "string"},
                    "parameters": {"type": "object"},
                    "columns": {"type": "array", "items": {"type": "string"}},
                    "rows": {"type": "array", "items": {"type": "object"}},
                    "row_count": {"type": "integer"},
                    "truncated": {"type": "boolean"},
                    "boolean": {"type": "boolean"},
                },
            },
            "Catalog": {
                "type": "object",
                "properties": {"queries": {"type": "array", "items": {"type": "object"}}},
            },
        }},
    }
