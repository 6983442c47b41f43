"""Loaders: sources (curated Turtle, RDF files, CSV tables) into named graphs."""
