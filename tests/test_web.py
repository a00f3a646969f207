"""The Flask app through its test client: every route, status and error shape,
the OpenAPI description checked against real responses, and the security headers."""

from __future__ import annotations

import json
import re
from html import escape as html_escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from conftest import PASTED_HADITH, write_web_corpus
from indexer import build_index
from indexer.errors import BadQueryError, SettingsError
from web import create_app

SPEC = json.loads((Path(__file__).parent.parent / "web" / "openapi.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def index_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    build_index([write_web_corpus(root / "corpus")], root / "index")
    return root / "index"


@pytest.fixture
def client(index_path):
    return create_app({"index_dir": index_path, "rate_limit": 0}).test_client()


def conforms(response, schema_name):
    """The response body is valid against the named schema of the OpenAPI description."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.validate(response.get_json(), schema)


def error_of(response):
    body = response.get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/Error", "components": SPEC["components"]})
    return body["error"]["code"]


# -- the JSON API -----------------------------------------------------------------------


def test_api_search_returns_the_documented_structure(client):
    response = client.get("/api/search", query_string={"q": "التعاون", "per_page": 5})
    assert response.status_code == 200
    conforms(response, "SearchResult")
    data = response.get_json()
    assert data["total"] == 25 and data["pages"] == 5 and len(data["hits"]) == 5
    assert {"value": "أخبار", "count": 20} in data["facets"]["collection"]


def test_api_json_is_utf8_and_arabic_is_not_escaped(client):
    response = client.get("/api/search", query_string={"q": "الأعمال"})
    assert response.mimetype == "application/json"
    raw = response.get_data(as_text=True)
    assert "الْأَعْمَالُ" in raw and "\\u0627" not in raw


def test_api_collection_filter_and_facets(client):
    data = client.get("/api/search", query_string={"q": "التعاون", "collection": "رأي"}).get_json()
    assert data["total"] == 5
    assert {h["collection"] for h in data["hits"]} == {"رأي"}
    assert {f["value"] for f in data["facets"]["collection"]} == {"أخبار", "رأي"}


def test_api_page_beyond_the_end_has_no_hits_and_the_true_total(client):
    response = client.get("/api/search", query_string={"q": "التعاون", "page": 50})
    assert response.status_code == 200
    conforms(response, "SearchResult")
    assert response.get_json()["hits"] == [] and response.get_json()["total"] == 25


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_parameter"),
        ({"q": "   "}, "missing_parameter"),
        ({"q": "التعاون", "page": "abc"}, "bad_parameter"),
        ({"q": "التعاون", "page": "0"}, "bad_parameter"),
        ({"q": "التعاون", "page": "99999999999999999999"}, "bad_parameter"),
        ({"q": "التعاون", "per_page": "101"}, "bad_parameter"),
        ({"q": "التعاون", "page": "415", "per_page": ""}, "bad_parameter"),
        ({"q": "التعاون", "page": "+2"}, "bad_parameter"),
        ({"q": "nofield:x"}, "bad_query"),
        ({"q": "ا*"}, "bad_query"),
        ({"q": "و" * 1001}, "bad_query"),
    ],
)
def test_api_bad_input_gets_400_in_the_one_error_shape(client, params, code):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    assert error_of(response) == code


def test_api_suggest(client):
    response = client.get("/api/suggest", query_string={"q": "التعا"})
    assert response.status_code == 200
    conforms(response, "Suggestions")
    assert response.get_json()["suggestions"][0] == "التعاون"
    assert client.get("/api/suggest").get_json() == {"query": "", "suggestions": []}
    assert error_of(client.get("/api/suggest", query_string={"q": "ا", "limit": "x"})) == "bad_parameter"
    assert error_of(client.get("/api/suggest", query_string={"q": "", "limit": ""})) == "bad_parameter"


def test_api_suggest_completes_in_context_without_stop_words(client):
    def suggestions(q):
        response = client.get("/api/suggest", query_string={"q": q, "limit": 8})
        conforms(response, "Suggestions")
        return response.get_json()["suggestions"]

    alone = suggestions("ال")
    assert alone[0] == "الأمني"  # the most frequent (20 news documents)
    # After مقال, the words of the opinion pieces (which have مقال) come first.
    assert suggestions("مقال ال")[:3] == ["مقال الأمن", "مقال الداخلي", "مقال المؤسسات"]
    assert suggestions("collection:رأي ال")[0] == "collection:رأي الأمن"  # a filter typed before counts too
    assert suggestions("ف") == []  # في is the only word: a stop word, left out of queries
    assert suggestions("َ") == []  # a diacritic alone has no letters to complete
    assert "رسول" in suggestions("ر")
    assert suggestions("title:ر") == ["title:رقم", "title:رأي"]  # رسول is in no title


def test_api_search_corrects_unless_asked_not_to(client):
    response = client.get("/api/search", query_string={"q": "التعاوم"})
    conforms(response, "SearchResult")
    data = response.get_json()
    assert data["query"] == "التعاوم" and data["total"] == 25
    assert data["corrected"] == {"query": "التعاون", "original": "التعاوم"}
    response = client.get("/api/search", query_string={"q": "التعاوم", "correct": "false"})
    conforms(response, "SearchResult")
    data = response.get_json()
    assert data["total"] == 0 and data["corrected"] is None and data["suggestion"] == "التعاون"
    assert error_of(client.get("/api/search", query_string={"q": "التعاوم", "correct": "maybe"})) == "bad_parameter"


def test_api_document(client):
    response = client.get("/api/documents/h1", query_string={"q": "النيات"})
    assert response.status_code == 200
    conforms(response, "Document")
    data = response.get_json()
    assert data["text"].startswith("قَالَ رَسُولُ اللَّهِ")
    assert "<mark>بِالنِّيَّاتِ</mark>" in data["text_html"]


def test_api_unknown_document_is_404(client):
    response = client.get("/api/documents/no-such-id")
    assert response.status_code == 404
    assert error_of(response) == "not_found"


def test_api_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    conforms(response, "Health")
    assert response.get_json()["documents"] == 27


def test_api_without_an_index_answers_503(tmp_path):
    client = create_app({"index_dir": tmp_path / "none"}).test_client()
    for url in ("/api/health", "/api/search?q=x", "/api/suggest?q=x", "/api/documents/x"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert error_of(response) == "no_index"
    page = client.get("/?q=x")
    assert page.status_code == 503 and "لا يوجد فهرس" in page.get_data(as_text=True)


def test_api_unknown_endpoint_and_method(client):
    assert error_of(client.get("/api/nothing-here")) == "not_found"
    response = client.put("/api/search?q=x")
    assert response.status_code == 405 and error_of(response) == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    response = client.delete("/api/health")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_api_search_by_post_takes_long_queries_in_a_json_body(client):
    body = {"q": "التعاون", "page": 2, "per_page": 5, "collection": ["أخبار"]}
    response = client.post("/api/search", json=body)
    assert response.status_code == 200
    conforms(response, "SearchResult")
    data = response.get_json()
    assert data["total"] == 20 and data["page"] == 2 and len(data["hits"]) == 5
    assert client.post("/api/search", json={"q": "التعاون", "collection": "رأي"}).get_json()["total"] == 5
    long = client.post("/api/search", json={"q": PASTED_HADITH})
    assert len(PASTED_HADITH) == 1000 and long.status_code == 200 and long.get_json()["query"] == PASTED_HADITH
    assert error_of(client.post("/api/search", json={"q": PASTED_HADITH + "ا"})) == "bad_query"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"json": {}}, "missing_parameter"),
        ({"json": {"q": 5}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "page": "2x"}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "page": True}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "page": None}}, "bad_parameter"),
        ({"json": {"q": None}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "per_page": 101}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "collection": [1]}}, "bad_parameter"),
        ({"json": {"q": "التعاون", "sort": "date"}}, "bad_parameter"),
        ({"json": ["التعاون"]}, "bad_parameter"),
        ({"data": "q=التعاون"}, "bad_parameter"),
        # JSON can escape a lone surrogate, which is no text: refused, not a 500
        ({"data": '{"q": "\\udc0eالتعاون"}', "content_type": "application/json"}, "bad_query"),
        ({"data": '{"q": "التعاون", "collection": "\\ud800"}', "content_type": "application/json"}, "bad_query"),
    ],
)
def test_api_search_by_post_rejects_a_bad_body(client, kwargs, code):
    response = client.post("/api/search", **kwargs)
    assert response.status_code == 400 and error_of(response) == code


def test_api_search_by_post_refuses_a_huge_body(client):
    response = client.post("/api/search", json={"q": "ا" * 100_000})
    assert response.status_code == 413 and error_of(response) == "too_large"


def test_openapi_description_is_served_and_covers_every_route(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/search",
        "/api/suggest",
        "/api/documents/{id}",
        "/api/health",
        "/api/openapi.json",
    }
    routes = {
        re.sub(r"<path:\w+>", "{id}", r.rule)
        for r in client.application.url_map.iter_rules()
        if r.rule.startswith("/api/")
    }
    assert routes - {"/api/{id}"} == set(spec["paths"])


def test_rate_limit_answers_429_with_retry_after(index_path):
    client = create_app({"index_dir": index_path, "rate_limit": 60}).test_client()
    statuses = [client.get("/api/search?q=التعاون").status_code for _ in range(15)]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
    response = client.get("/api/search?q=التعاون")
    assert error_of(response) == "rate_limited" and int(response.headers["Retry-After"]) >= 1
    assert client.get("/api/health").status_code == 200  # not a search: not limited


def test_document_reads_are_rate_limited_too(index_path):
    client = create_app({"index_dir": index_path, "rate_limit": 60}).test_client()  # bursts of 10
    paths = ["/api/documents/nothing-here", "/doc/nothing-here"] * 5
    assert [client.get(path).status_code for path in paths] == [404] * 10
    assert client.get("/doc/nothing-here").status_code == 429
    assert error_of(client.get("/api/documents/nothing-here")) == "rate_limited"


def _forwarded(client, address: str):
    return client.get("/api/search?q=التعاون", headers={"X-Forwarded-For": address}).status_code


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(index_path):
    proxied = create_app({"index_dir": index_path, "rate_limit": 60, "trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    client = proxied.test_client()  # the test client calls from 127.0.0.1: the proxy
    assert all(_forwarded(client, f"203.0.113.{n}") == 200 for n in range(40) for _ in range(3))
    # One client is limited alone, whatever it writes in the header itself: only the
    # address the trusted proxies appended (the last untrusted one) counts.
    statuses = [_forwarded(client, f"spoofed-{n}, 198.51.100.7, 10.1.2.3") for n in range(15)]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
    assert _forwarded(client, "198.51.100.8") == 200


def test_the_forwarded_header_is_not_believed_from_anyone_else(index_path):
    for settings in ({}, {"trusted_proxies": "10.0.0.1"}):
        client = create_app({"index_dir": index_path, "rate_limit": 60, **settings}).test_client()
        statuses = [_forwarded(client, f"203.0.113.{n}") for n in range(15)]
        assert statuses[:10] == [200] * 10 and statuses[-1] == 429


def test_a_bad_trusted_proxy_is_a_clear_settings_error(index_path):
    with pytest.raises(SettingsError, match="trusted_proxies: 'nginx.local' does not appear to be an IPv4 or IPv6"):
        create_app({"index_dir": index_path, "trusted_proxies": "127.0.0.1,nginx.local"})


def test_cors_only_when_configured(index_path):
    closed = create_app({"index_dir": index_path, "rate_limit": 0}).test_client()
    assert (
        "Access-Control-Allow-Origin" not in closed.get("/api/health", headers={"Origin": "https://a.example"}).headers
    )
    opened = create_app({"index_dir": index_path, "rate_limit": 0, "cors_origins": "https://a.example"}).test_client()
    response = opened.get("/api/health", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"
    other = opened.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# -- the pages --------------------------------------------------------------------------


def test_security_headers_on_every_response(client):
    for url in ("/", "/?q=التعاون", "/doc/h1", "/api/health", "/missing"):
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_home_page_is_arabic_rtl_with_the_search_box_and_help(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'name="q"' in html and 'method="get"' in html
    assert "طريقة البحث" in html and "ابحث في 27 وثيقة" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert not re.search(r"https?://(?!example\.org)", html.replace("http://localhost", ""))


def test_results_page_keeps_the_query_and_shows_ranked_highlighted_hits(client):
    html = client.get("/", query_string={"q": "الاعمال"}).get_data(as_text=True)
    assert 'value="الاعمال"' in html
    assert "<mark>الْأَعْمَالُ</mark>" in html
    assert 'href="/doc?id=h1&amp;q=' in html


def test_results_page_pagination_and_facets(client):
    html = client.get("/", query_string={"q": "التعاون", "page": 2}).get_data(as_text=True)
    assert '<span class="count">25 نتيجة</span>' in html and "الصفحة 2 من 3" in html
    assert 'aria-current="page">2<' in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert html.count('class="hit"') == 10
    facet = client.get("/", query_string={"q": "التعاون", "collection": "رأي"}).get_data(as_text=True)
    assert facet.count('class="hit"') == 5 and 'class="active"' in facet
    assert 'name="collection" value="رأي"' in facet  # a new search keeps the filter


def parsed_page(response):
    return HTMLParser(response.get_data(as_text=True))


def text_of(page, selector):
    node = page.css_first(selector)
    return None if node is None else " ".join(node.text(separator=" ").split())


def test_a_misspelled_query_shows_the_corrected_results_and_a_way_back(client):
    page = parsed_page(client.get("/", query_string={"q": "التعاوم"}))
    assert text_of(page, ".corrected") == "عرض نتائج: التعاون"
    assert text_of(page, ".summary .count") == "25 نتيجة"
    assert text_of(page, ".original") == "ابحث بدلًا من ذلك عن: التعاوم"
    assert page.css_first("#q").attributes["value"] == "التعاوم"  # the box keeps what was typed
    document = parsed_page(client.get(page.css_first(".hit h3 a").attributes["href"]))
    assert [mark.text() for mark in document.css(".text mark")] == ["التعاون"]  # the shown words are marked

    # "Search instead" runs exactly what was typed: nothing found, and the suggestion offered.
    exact = parsed_page(client.get(page.css_first(".original a").attributes["href"]))
    assert exact.css_first(".corrected") is None
    assert text_of(exact, ".didyoumean") == "هل تقصد: التعاون ؟"
    assert "لم نجد شيئًا" in text_of(exact, ".empty")  # the friendly empty state


def test_pages_of_an_uncorrected_search_stay_uncorrected(client):
    # Found through التعاون alone (25 documents, 3 pages); corrected, الجانب is in 20 of them.
    assert client.get("/api/search", query_string={"q": "التعاون الجانبب"}).get_json()["total"] == 20
    page = parsed_page(client.get("/", query_string={"q": "التعاون الجانبب", "correct": "false"}))
    assert text_of(page, ".summary .count") == "25 نتيجة"
    following = page.css_first(".pagination a[rel=next]").attributes["href"]
    assert parse_qs(urlsplit(following).query)["correct"] == ["false"]
    second = parsed_page(client.get(following))
    assert text_of(second, ".summary .count") == "25 نتيجة" and second.css_first(".corrected") is None
    # A corrected search's own links do not switch correction off.
    corrected = parsed_page(client.get("/", query_string={"q": "التعاون الجانبب"}))
    assert text_of(corrected, ".summary .count") == "20 نتيجة"
    following = corrected.css_first(".pagination a[rel=next]").attributes["href"]
    assert "correct" not in parse_qs(urlsplit(following).query)


ARABIC_LETTERS = re.compile("[\u0621-\u064a]")


def message_of(html: str) -> str:
    """The text of the page's error message, which must be Arabic."""
    found = re.search(r'<p class="message">(.*?)</p>', html, re.S)
    assert found, html
    return found[1].strip()


@pytest.mark.parametrize("q", ["nofield:x", "ا*", "و" * 1001, "ب" * 300])
def test_bad_query_shows_its_arabic_message_never_the_english_one(client, index_path, q):
    from search import open_index

    with open_index(index_path) as engine, pytest.raises(BadQueryError) as raised:
        engine.search(q)
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message_of(html) == html_escape(raised.value.arabic) and ARABIC_LETTERS.search(message_of(html))
    assert str(raised.value) not in html and "Traceback" not in html and "طريقة البحث" in html


def test_huge_page_number_is_a_clear_arabic_error(client):
    response = client.get("/", query_string={"q": "التعاون", "page": 10**9})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message_of(html) == "رقم الصفحة يجب أن يكون عددًا صحيحًا من 1 إلى 1,000." and "page must" not in html


def test_every_error_page_is_arabic(index_path, tmp_path):
    app = create_app({"index_dir": index_path, "rate_limit": 0})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    client = app.test_client()
    limited = create_app({"index_dir": index_path, "rate_limit": 60}).test_client()
    for _ in range(15):
        rate_limited = limited.get("/?q=التعاون")
    pages = {
        "missing document": client.get("/doc/no-such-doc"),
        "missing page": client.get("/nothing/here"),
        "wrong method": client.post("/"),
        "server error": client.get("/boom"),
        "rate limit": rate_limited,
        "no index": create_app({"index_dir": tmp_path / "none"}).test_client().get("/?q=x"),
    }
    assert [r.status_code for r in pages.values()] == [404, 404, 405, 500, 429, 503]
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert ARABIC_LETTERS.search(message_of(html)), name
        assert not re.search(
            "[A-Za-z]{3,}", message_of(html).replace("arabic-search index", "").replace("no-such-doc", "")
        ), name
        assert 'dir="ltr"' not in html.split("<main>")[1].split("</main>")[0], name
    assert "«no-such-doc»" in message_of(pages["missing document"].get_data(as_text=True))
    assert "ثانية" in message_of(rate_limited.get_data(as_text=True))


def test_document_page_shows_the_original_text_with_matches(client):
    html = client.get("/doc/h1", query_string={"q": "النيات"}).get_data(as_text=True)
    assert "<mark>بِالنِّيَّاتِ</mark>" in html
    assert "العودة إلى النتائج" in html and "حديث" in html


def test_hostile_document_is_shown_as_text(client):
    results = client.get("/", query_string={"q": "خطرة"}).get_data(as_text=True)
    page = client.get("/doc/hostile").get_data(as_text=True)
    for html in (results, page):
        assert "<script>document.title" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
        assert "<b>عنوان</b>" not in html


def test_every_result_links_to_its_document_whatever_its_id(tmp_path):
    ids = ["/etc/passwd", "a\nb", "../up", "x?y#z", "%41", "مقال 1", "a//b/"]
    lines = [
        json.dumps({"id": i, "title": f"عنوان {n}", "text": "نص عن الأمن"}, ensure_ascii=False)
        for n, i in enumerate(ids)
    ]
    (tmp_path / "odd.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_index([tmp_path / "odd.jsonl"], tmp_path / "index")
    client = create_app({"index_dir": tmp_path / "index", "rate_limit": 0}).test_client()
    page = HTMLParser(client.get("/", query_string={"q": "الأمن"}).get_data(as_text=True))
    links = {a.text(strip=True): a.attributes["href"] for a in page.css("li.hit h3 a")}
    assert sorted(links) == sorted(f"عنوان {n}" for n in range(len(ids)))
    for n, doc_id in enumerate(ids):
        href = links[f"عنوان {n}"]
        assert urlsplit(href).path == "/doc" and parse_qs(urlsplit(href).query)["id"] == [doc_id]
        document = HTMLParser(client.get(href).get_data(as_text=True))
        assert document.css_first("h1").text(strip=True) == f"عنوان {n}"


def test_custom_404_and_500_pages(index_path):
    app = create_app({"index_dir": index_path, "rate_limit": 0})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    client = app.test_client()
    missing = client.get("/doc/no-such-doc")
    assert missing.status_code == 404 and "الصفحة غير موجودة" in missing.get_data(as_text=True)
    failed = client.get("/boom")
    assert failed.status_code == 500
    assert "secret detail" not in failed.get_data(as_text=True) and "حدث خطأ" in failed.get_data(as_text=True)


def test_collections_and_metadata_keys_have_arabic_labels(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "news").mkdir(parents=True)
    (corpus / "news" / "a.txt").write_text("خبر عن التعاون\n\nنص الخبر عن التعاون.", encoding="utf-8")
    record = {
        "id": "b1",
        "collection": "bukhari",
        "text": "حديث عن التعاون",
        "book": "1",
        "grade": "صحيح",
        "isnad": "ط",
    }
    (corpus / "hadith.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    build_index([corpus / "news", corpus / "hadith.jsonl"], tmp_path / "index")
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"collection": {"bukhari": "صحيح البخاري"}, "metadata": {"isnad": "الإسناد"}}))

    plain = create_app({"index_dir": tmp_path / "index", "rate_limit": 0}).test_client()
    results = plain.get("/", query_string={"q": "التعاون"}).get_data(as_text=True)
    assert '<span class="collection">أخبار</span>' in results and ">news<" not in results
    document = plain.get("/doc/b1").get_data(as_text=True)
    assert "<dt>الكتاب</dt>" in document and "<dt>الدرجة</dt>" in document and "<dt>isnad</dt>" in document

    labelled = create_app({"index_dir": tmp_path / "index", "rate_limit": 0, "labels": str(labels)}).test_client()
    document = labelled.get("/doc/b1").get_data(as_text=True)
    assert "<dd>صحيح البخاري</dd>" in document and "<dt>الإسناد</dt>" in document and "<dt>الكتاب</dt>" in document
    home = labelled.get("/").get_data(as_text=True)
    assert ">صحيح البخاري</a> <span>وثيقة واحدة</span>" in home
    facet = labelled.get("/", query_string={"q": "التعاون"}).get_data(as_text=True)
    assert 'collection=bukhari">صحيح البخاري</a>' in facet  # the link keeps the real name


def test_a_broken_labels_file_is_refused_with_a_message(tmp_path, index_path):
    from indexer.errors import ArabicSearchError

    broken = tmp_path / "labels.json"
    broken.write_text('{"collection": {"news": 5}}')
    with pytest.raises(ArabicSearchError, match="labels file .* must map names"):
        create_app({"index_dir": index_path, "labels": str(broken)})
    with pytest.raises(ArabicSearchError, match="cannot read it"):
        create_app({"index_dir": index_path, "labels": str(tmp_path / "missing.json")})


def test_result_counts_agree_with_the_number(client):
    def count(**params):
        html = client.get("/", query_string=params).get_data(as_text=True)
        return re.search(r'<span class="count">(.*?)</span>', html)[1]

    assert count(q="التعاون") == "25 نتيجة"
    assert count(q="التعاون", collection="رأي") == "5 نتائج"
    assert count(q="الاعمال") == "نتيجة واحدة"
    assert count(q="لا-توجد-كلمة-كهذه") == "لا نتائج"


def test_query_notes_are_shown_in_arabic(client, monkeypatch):
    from search import SearchEngine

    search = SearchEngine.search

    def with_arabic_notes(self, *args, **kwargs):
        result = search(self, *args, **kwargs)
        result["interpretation"].update(notes=["an English note"], notes_ar=["ملاحظة بالعربية"])
        return result

    monkeypatch.setattr(SearchEngine, "search", with_arabic_notes)
    html = client.get("/", query_string={"q": "التعاون"}).get_data(as_text=True)
    assert '<p class="note">ملاحظة بالعربية</p>' in html and "English note" not in html


def test_favicon(client):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    for url in ("/favicon.ico", "/static/favicon.svg"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_help_offers_root_search_and_its_link_finds_the_words_of_the_root(client):
    html = client.get("/").get_data(as_text=True)
    assert "root:كتب" in html
    results = client.get("/", query_string={"q": "root:عمل"}).get_data(as_text=True)
    assert "<mark>الْأَعْمَالُ</mark>" in results
    body = client.get("/api/search", query_string={"q": "root:عمل"}).get_json()
    assert "h1" in [hit["id"] for hit in body["hits"]] and body["interpretation"]["expansions"]["root:عمل"]
