"""Docs cannot drift: every setting, CLI command and route is named in README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tillvaxtgraf.cli import cli
from tillvaxtgraf.service import create_app
from tillvaxtgraf.settings import SETTINGS, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_with_its_default(setting):
    row = next((line for line in README.splitlines() if f"`{setting.env_var}`" in line), None)
    assert row is not None, f"{setting.env_var} is not in README.md's settings table"
    default = setting.default
    if isinstance(default, tuple):
        default = ", ".join(default)
    shown = str(default) if default not in ("", ()) else "(empty)"
    assert shown in row, f"README gives another default for {setting.env_var}"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_cli_command_is_documented(command):
    assert f"tillvaxtgraf {command}" in README


def _routes(tmp_path: Path) -> list[str]:
    app = create_app(load_settings(environ={}, store=str(tmp_path / "store")))
    try:
        rules = sorted({r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"})
    finally:
        app.extensions["tillvaxtgraf.store"].close()
    return rules


def test_every_route_is_documented(tmp_path):
    missing = []
    for rule in _routes(tmp_path):
        shown = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
        prefix = shown.split("{", 1)[0]
        if f"`{shown}" not in README and f"`{prefix}" not in README:
            missing.append(rule)
    assert not missing, f"routes not in README.md: {missing}"
