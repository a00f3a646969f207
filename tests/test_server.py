"""The real server: `arabic-search serve` (gunicorn) answering over HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from conftest import ROOT, live_server
from indexer.storage import META, current_generation


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serves_pages_and_api_over_http(web_index, tmp_path):
    with live_server(web_index, cwd=tmp_path) as base:
        status, headers, body = get(base + "/api/search?" + urllib.parse.urlencode({"q": "التعاون", "per_page": 3}))
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        data = json.loads(body)
        assert data["total"] == 25 and len(data["hits"]) == 3
        status, headers, body = get(base + "/?" + urllib.parse.urlencode({"q": "الاعمال"}))
        assert status == 200 and "<mark>الْأَعْمَالُ</mark>" in body.decode("utf-8")
        assert "/" not in headers["Server"]  # no server version for scanners
        status, _, body = get(base + "/api/documents/nothing")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
        status, _, body = get(base + "/static/search.js")
        assert status == 200 and b"autocomplete" in body.lower()


def test_answers_concurrent_clients(web_index, tmp_path):
    queries = ["التعاون", "الأمن", "الاعمال", "مسؤولية", '"التعاون الأمني"', "الاستقرار -الوزير"] * 10
    with live_server(web_index, cwd=tmp_path) as base:
        urls = [base + "/api/search?" + urllib.parse.urlencode({"q": q}) for q in queries]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [status for status, _, _ in pool.map(get, urls)]
    assert statuses == [200] * len(queries)


def test_binds_to_localhost_by_default(web_index, tmp_path):
    with live_server(web_index, cwd=tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        status, _, body = get(base + "/api/health")
        assert status == 200 and json.loads(body)["documents"] == 27


def test_serve_without_an_index_builds_the_bundled_sample_first(tmp_path):
    env = {"ARABIC_SEARCH_INDEX": ""}
    with live_server(None, cwd=tmp_path, env=env, timeout=120) as base:
        status, _, body = get(base + "/api/health")
        assert status == 200 and json.loads(body)["documents"] == 1511
        status, _, body = get(base + "/api/search?" + urllib.parse.urlencode({"q": "الأعمال بالنيات"}))
        assert json.loads(body)["hits"][0]["id"] == "bukhari-1"
    assert (tmp_path / "index_data" / "CURRENT").is_file()


def serve_and_fail(cwd, *args: str) -> subprocess.CompletedProcess:
    """``arabic-search serve ARGS`` expected to stop at once, with what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "arabic_search", "serve", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_with_a_missing_chosen_index_says_so(tmp_path):
    result = serve_and_fail(tmp_path, "--index-dir", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no index at" in result.stderr and "arabic-search index" in result.stderr


def test_serve_on_an_index_of_another_schema_version_asks_for_a_rebuild(web_index, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(web_index, old)
    meta_path = current_generation(old) / META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema_version"] = 0
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    result = serve_and_fail(tmp_path, "--index-dir", str(old))
    assert result.returncode == 2
    assert "version 0" in result.stderr and "arabic-search index" in result.stderr


def test_serve_on_a_port_in_use_says_so(web_index, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = serve_and_fail(tmp_path, "--index-dir", str(web_index), "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_each_worker_allows_its_share_of_the_rate_limit():
    from indexer.settings import Settings
    from web.server import worker_settings

    assert worker_settings(Settings.load(rate_limit=600, workers=2)).rate_limit == 300
    assert worker_settings(Settings.load(rate_limit=5, workers=2)).rate_limit == 3
    assert worker_settings(Settings.load(rate_limit=0, workers=4)).rate_limit == 0
