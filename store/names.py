"""IRIs the storage layer itself relies on: graph names, metadata vocabulary."""

from __future__ import annotations

BASE = "https://w3id.org/tillvaxtgraf/"
ONTOLOGY = BASE + "ontology"
TG = BASE + "ontology#"
ID = BASE + "id/"
GRAPH = BASE + "graph/"

METADATA_GRAPH = GRAPH + "metadata"
ONTOLOGY_GRAPH = GRAPH + "ontology"
SHAPES_GRAPH = GRAPH + "shapes"

PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SOFTWARE = ID + "software/tillvaxtgraf"
