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

from conftest import PASTED_HADITH, ROOT, live_server
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


def search_url(base: str, path: str, q: str) -> str:
    return base + path + "?" + urllib.parse.urlencode({"q": q, "page": 1, "per_page": 100})


def is_arabic_error_page(headers: dict[str, str], body: bytes) -> bool:
    html = body.decode("utf-8")
    return (
        headers["Content-Type"].startswith("text/html")
        and '<html lang="ar" dir="rtl">' in html
        and 'class="message"' in html
    )


def test_long_queries_get_an_answer_or_our_error_never_the_servers_page(web_index, tmp_path):
    with live_server(web_index, cwd=tmp_path) as base:
        # 1,000 Arabic characters, the most a query may have: answered, by GET and POST.
        status, _, body = get(search_url(base, "/api/search", PASTED_HADITH))
        assert len(search_url(base, "/api/search", PASTED_HADITH)) > 5000  # gunicorn by default reads 4,094
        assert status == 200 and json.loads(body)["query"] == PASTED_HADITH
        status, _, body = get(search_url(base, "/", PASTED_HADITH))
        assert status == 200 and '<span class="count">' in body.decode("utf-8")
        request = urllib.request.Request(
            base + "/api/search",
            data=json.dumps({"q": PASTED_HADITH}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and json.loads(response.read())["query"] == PASTED_HADITH

        # One character more: the app's own error, JSON for the API and the Arabic page.
        status, _, body = get(search_url(base, "/api/search", PASTED_HADITH + "ا"))
        assert status == 400 and json.loads(body)["error"]["code"] == "bad_query"
        status, headers, body = get(search_url(base, "/", PASTED_HADITH + "ا"))
        assert status == 400 and is_arabic_error_page(headers, body)

        # 20,000 characters: over any request line gunicorn reads, still our error.
        huge = "بالنيات " * 2500
        status, headers, body = get(search_url(base, "/api/search", huge))
        assert status == 414 and headers["Content-Type"] == "application/json"
        assert json.loads(body)["error"]["code"] == "uri_too_long"
        assert headers["X-Content-Type-Options"] == "nosniff"
        status, headers, body = get(search_url(base, "/", huge))
        assert status == 414 and is_arabic_error_page(headers, body)
        assert b"URI Too Long" not in body and b"Request Line is too large" not in body


def send_raw(base: str, request: bytes) -> tuple[bytes, bytes]:
    """The status line and headers, and the body, of the answer to ``request`` sent as is."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(request)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_requests_gunicorn_refuses_get_our_error_shape(web_index, tmp_path):
    many_headers = b"".join(b"X-Filler-%d: x\r\n" % n for n in range(150))
    with live_server(web_index, cwd=tmp_path) as base:
        malformed = send_raw(base, b"GET /api/search?q=x HTTP/9.9\r\nHost: x\r\n\r\n")
        too_many = send_raw(base, b"GET /?q=x HTTP/1.1\r\nHost: x\r\n" + many_headers + b"\r\n")
    head, body = malformed
    assert head.startswith(b"HTTP/1.1 400 ") and json.loads(body)["error"]["code"] == "bad_request"
    head, body = too_many
    assert head.startswith(b"HTTP/1.1 431 ") and b"Content-Type: text/html" in head
    assert '<p class="message">ترويسات الطلب أكبر من المسموح.</p>' in body.decode("utf-8")


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


def serve_and_fail(cwd, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``arabic-search serve ARGS`` expected to stop at once, with what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "arabic_search", "serve", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **(env or {})},
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


def test_serve_with_a_broken_labels_file_says_so(web_index, tmp_path):
    (tmp_path / "labels.json").write_text('{"collection": ["news"]}')
    result = serve_and_fail(tmp_path, "--index-dir", str(web_index), env={"ARABIC_SEARCH_LABELS": "labels.json"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the labels file labels.json (ARABIC_SEARCH_LABELS) cannot be used" in result.stderr


def test_each_worker_allows_its_share_of_the_rate_limit():
    from indexer.settings import Settings
    from web.server import worker_settings

    assert worker_settings(Settings.load(rate_limit=600, workers=2)).rate_limit == 300
    assert worker_settings(Settings.load(rate_limit=5, workers=2)).rate_limit == 3
    assert worker_settings(Settings.load(rate_limit=0, workers=4)).rate_limit == 0


def test_serve_on_a_damaged_index_says_what_broke_and_never_indexes_over_it(web_index, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(web_index, damaged)
    (damaged / "CURRENT").write_bytes(b"\xff\xfe")
    result = serve_and_fail(tmp_path, "--index-dir", str(damaged))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: the index at {damaged} is damaged: CURRENT does not hold a generation's name;"
        " `arabic-search check --repair` mends what can be derived again, else rebuild it with `arabic-search index`"
    ]
    assert (damaged / "CURRENT").read_bytes() == b"\xff\xfe"  # nothing written over it


def test_serve_removes_what_killed_builds_left_as_it_starts(web_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(web_index, index)
    (index / ".building-20261203T000000-abcdef").mkdir()
    (current_generation(index) / "MAIN_x.arrays.123.partial").write_bytes(b"half")
    with live_server(index, cwd=tmp_path) as base:
        status, _, body = get(base + "/api/health")
        assert status == 200
    assert not list(index.glob(".building-*")) and not list(current_generation(index).glob("*.partial"))
