"""The API and its OpenAPI description agree: schemathesis, run as a user runs it
(`st run URL --checks all`, with the project's schemathesis.toml) against the real
server, generates requests from web/openapi.json, valid ones and ones the
description calls invalid, and checks every answer against it: statuses, bodies,
content types, 405 with Allow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, live_server

ST = Path(sys.executable).with_name("st")


def test_api_agrees_with_its_openapi_description(web_index, tmp_path):
    with live_server(web_index, cwd=tmp_path) as base:
        run = subprocess.run(
            [
                str(ST), "run", base + "/api/openapi.json", "--checks", "all", "--max-examples", "50",
                "--seed", "1", "--generation-database", "none", "--no-color",
            ],
            cwd=ROOT,  # where schemathesis.toml is
            capture_output=True,
            text=True,
            timeout=300,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Configuration:    " + str(ROOT / "schemathesis.toml") in run.stdout
