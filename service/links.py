"""Where an IRI is shown on this service: minted IRIs at /id/…, any other at /resource."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, current_app


def resource_url(iri: str) -> str:
    """The local page of an IRI (minted under the base: its own path; else /resource)."""
    base = current_app.config["SETTINGS"].base_iri
    if iri.startswith(base):
        rest = iri[len(base):]
        if rest.startswith(("id/", "ontology", "graph/")):
            return "/" + quote(rest, safe="/#:@!$&'()*+,;=-._~")
    return "/resource?iri=" + quote(iri, safe="")


def register(app: Flask) -> None:
    app.add_template_filter(resource_url, "resource_url")
