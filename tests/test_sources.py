"""Reading files and folders into documents: formats, broken inputs, ids, progress."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.documents import title_from_text
from indexer.errors import SourceError
from indexer.report import IngestReport
from indexer.sources import SUPPORTED_SUFFIXES, files, iter_documents, total_bytes

ARABIC = "بابُ الدِّفَاعِ عن النَّفْسِ\nقالَ الشَّيْخُ: «الحَقُّ أَحَقُّ أَنْ يُتَّبَعَ».\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def read(*sources: Path, field_map: dict[str, str] | None = None, strict: bool = False):
    report = IngestReport(strict=strict)
    documents = list(iter_documents(sources, report, field_map))
    return documents, report


def problems(report: IngestReport) -> list[tuple[str, int | None, str]]:
    return [(Path(p.path).name, p.line, p.message) for p in report.problems]


# --- one test per format ---------------------------------------------------------


def test_txt_keeps_text_byte_exact_and_titles_by_first_line(tmp_path):
    text = "\n  " + ARABIC + "\r\nسطرٌ بعد CRLF\t\n\n"
    path = write(tmp_path / "kutub" / "difa.txt", text)

    (document,), report = read(path)

    assert document.text == text
    assert document.text.encode("utf-8") == path.read_bytes()
    assert document.title == "بابُ الدِّفَاعِ عن النَّفْسِ"
    assert document.source == str(path)
    assert report.problems == []


def test_txt_with_a_long_first_line_is_titled_by_file_name(tmp_path):
    path = write(tmp_path / "maqala.txt", "كلمة " * 50 + "\nسطر ثان\n")

    (document,), _ = read(path)

    assert document.title == "maqala"


def test_md_title_is_first_heading_outside_code(tmp_path):
    text = "مقدمة قصيرة\n\n```sh\n# تعليق في الشيفرة\n```\n## الدِّفَاعِ عن النفس ##\n\n" + ARABIC
    path = write(tmp_path / "bab.md", text)

    (document,), _ = read(path)

    assert document.title == "الدِّفَاعِ عن النفس"
    assert "```" not in document.text and "##" not in document.text
    assert "# تعليق في الشيفرة" in document.text  # code is text too, without its fence


def test_md_is_indexed_as_the_text_a_reader_sees(tmp_path):
    text = (
        "# بابُ **الدِّفَاعِ** عن [النفس](https://example.org/nafs)\n\n"
        'قال **الشيخ** في _كتابه_: انظر [الرابط](https://example.org/a "عنوان") و`رمز`.\n\n'
        "- أولًا\n- ![صورة الخريطة](map.png) ثانيًا\n\n"
        "```python\nprint('مرحبا')\n```\n\n"
        "<script>alert('x')</script>\n\n> اقتباس أخير\n"
    )
    path = write(tmp_path / "bab.md", text)

    (document,), report = read(path)

    assert document.title == "بابُ الدِّفَاعِ عن النفس"
    assert document.text.splitlines() == [
        "بابُ الدِّفَاعِ عن النفس",
        "قال الشيخ في كتابه: انظر الرابط ورمز.",
        "أولًا",
        "ثانيًا",  # an image is not text
        "print('مرحبا')",
        "اقتباس أخير",
    ]
    for markup in ("**", "_", "](", "https://", "`", "```", "#", "<script>", "alert", ">"):
        assert markup not in document.text, markup
    assert report.problems == []


def test_md_snippets_show_no_markup(tmp_path):
    from indexer import build_index
    from search import open_index

    write(tmp_path / "kutub" / "bab.md", "# عنوان\n\nقال **الشيخ** انظر [الرابط](https://example.org/a) هنا.\n")
    build_index([tmp_path / "kutub"], tmp_path / "index")
    engine = open_index(tmp_path / "index")
    try:
        (hit,) = engine.search("الرابط")["hits"]
    finally:
        engine.close()

    assert "قال الشيخ انظر <mark>الرابط</mark> هنا" in hit["snippet"]
    assert "**" not in hit["snippet"] and "](" not in hit["snippet"] and "example.org" not in hit["snippet"]


def test_md_of_markup_only_is_reported(tmp_path):
    path = write(tmp_path / "bab.md", "<!-- تعليق -->\n\n---\n")

    documents, report = read(path)

    assert documents == [] and problems(report) == [("bab.md", None, "no text (only markup)")]


def test_md_without_heading_is_titled_like_txt(tmp_path):
    path = write(tmp_path / "bab.md", "\n" + ARABIC)

    (document,), _ = read(path)

    assert document.title == "بابُ الدِّفَاعِ عن النَّفْسِ"


def test_html_visible_text_only(tmp_path):
    html = """<!doctype html><html><head><title> صفحة
      الدِّفَاعِ </title><style>p { color: red }</style>
      <script>var secret = "leak";</script></head>
    <body><h1>الدِّفَاعِ</h1><p>أوّلُ&nbsp;فقرة &amp; <b>كلمة</b>غامقة</p>
    <script>alert(1)</script><noscript>noscript-leak</noscript>
    <template><p>template-leak</p></template>
    <img src=x onerror="alert('img-leak')"><!-- comment-leak -->
    <ul><li>أ</li><li>ب</li></ul><table><tr><td>خلية</td><td>أخرى</td></tr></table>
    <pre>  سطر
    مسافات</pre></body></html>"""
    path = write(tmp_path / "page.html", html)

    (document,), report = read(path)

    assert document.title == "صفحة الدِّفَاعِ"
    assert document.text == ("الدِّفَاعِ\nأوّلُ\xa0فقرة & كلمةغامقة\nأ\nب\nخلية أخرى\n  سطر\n    مسافات")
    for leak in ("leak", "alert", "color", "secret"):
        assert leak not in document.text
    assert report.problems == []


def test_html_title_falls_back_to_first_heading_then_file_name(tmp_path):
    html = "<p>نص</p><h2> العنوان <script>x()</script></h2><h1>لا</h1>"
    with_heading = write(tmp_path / "a.htm", html)
    without = write(tmp_path / "b.HTML", "<p>نص فقط</p>")

    (first, second), _ = read(with_heading, without)

    assert first.title == "العنوان"
    assert second.title == "b"


def test_html_without_visible_text_is_skipped(tmp_path):
    html = "<html><head><title>t</title></head><script>a()</script></html>"
    path = write(tmp_path / "x.html", html)

    documents, report = read(path)

    assert documents == []
    message = "no visible text (only markup, scripts or styles)"
    assert problems(report) == [("x.html", None, message)]


def test_html_nested_very_deep_is_read(tmp_path):
    path = write(tmp_path / "deep.html", "<div>" * 20000 + "عميق" + "</div>" * 20000)

    (document,), _ = read(path)

    assert document.text == "عميق"


def test_jsonl_fields_metadata_and_defaults(tmp_path):
    path = write(
        tmp_path / "hadith.jsonl",
        jsonl(
            {"id": 7, "text": ARABIC, "title": "الأول", "date": "2023-01-02", "url": "https://x/1",
             "grade": "صحيح", "tags": ["أ", "ب"], "page": 12, "ok": True},
            {"text": "نصٌّ بلا عنوان ولا معرّف"},
            {"id": "  h-3 ", "text": "ثالث", "collection": "مختارات", "title": "  "},
        ),
    )  # fmt: skip

    first, second, third = read(path)[0]

    assert (first.id, first.title, first.text) == ("7", "الأول", ARABIC)
    assert (first.date, first.url, first.collection) == ("2023-01-02", "https://x/1", "hadith")
    assert first.metadata == {"grade": "صحيح", "tags": '["أ", "ب"]', "page": "12", "ok": "true"}
    assert second.id == "hadith.jsonl:2"
    assert second.title == title_from_text(second.text)
    assert (third.id, third.collection, third.title) == ("h-3", "مختارات", "ثالث")


def test_jsonl_bad_lines_are_reported_and_good_lines_kept(tmp_path):
    lines = [
        json.dumps({"text": "أول"}, ensure_ascii=False),
        "",
        '{"text": "ثان" "id": 1}',
        json.dumps({"title": "بلا نص"}, ensure_ascii=False),
        '["text"]',
        '{"text": 5}',
        '{"text": "   "}',
        '{"text": "\\ud83d نصف حرف"}',
        '{"text": "عميق", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"text": "أخير"}, ensure_ascii=False),
    ]
    path = write(tmp_path / "data.jsonl", "\n".join(lines) + "\n")

    documents, report = read(path)

    assert [d.text for d in documents] == ["أول", "أخير"]
    assert [d.id for d in documents] == ["data.jsonl:1", "data.jsonl:10"]
    assert problems(report)[:6] == [
        ("data.jsonl", 3, "malformed JSON: Expecting ',' delimiter (column 16)"),
        ("data.jsonl", 4, 'no "text" field'),
        ("data.jsonl", 5, "not a JSON object but an array; each line must be {...}"),
        ("data.jsonl", 6, '"text" is a number, not a string'),
        ("data.jsonl", 7, '"text" is empty'),
        ("data.jsonl", 8, "the escape \\ud83d is half of a surrogate pair, not a character"),
    ]
    [(name, line, message)] = problems(report)[6:]
    assert (name, line) == ("data.jsonl", 9)
    assert message.startswith("unreadable JSON: maximum recursion depth exceeded")


def test_jsonl_fields_that_are_arrays_objects_or_booleans_skip_the_record(tmp_path):
    path = write(
        tmp_path / "data.jsonl",
        jsonl(
            {"id": 17, "text": "أول", "date": 2023},
            {"id": ["a"], "text": "ثان"},
            {"text": "ثالث", "title": {"ar": "عنوان"}},
            {"text": "رابع", "collection": True},
            {"text": "خامس", "url": [1]},
            {"text": "سادس", "id": None, "title": None},
        ),
    )

    documents, report = read(path)

    assert [(d.id, d.text, d.date) for d in documents] == [("17", "أول", "2023"), ("data.jsonl:6", "سادس", "")]
    assert problems(report) == [
        ("data.jsonl", 2, '"id" is an array, not a string'),
        ("data.jsonl", 3, '"title" is an object, not a string'),
        ("data.jsonl", 4, '"collection" is a boolean, not a string'),
        ("data.jsonl", 5, '"url" is an array, not a string'),
    ]


def test_jsonl_field_map(tmp_path):
    path = write(
        tmp_path / "kutub.jsonl",
        jsonl({"matn": ARABIC, "heading": "عنوان", "ref": "k1", "text": "ليس النص"}),
    )

    (document,), _ = read(path, field_map={"text": "matn", "title": "heading", "id": "ref"})

    assert (document.id, document.title, document.text) == ("k1", "عنوان", ARABIC)
    assert document.metadata == {"text": "ليس النص"}


def test_jsonl_field_map_names_the_missing_key(tmp_path):
    path = write(tmp_path / "kutub.jsonl", jsonl({"text": "نص"}))

    documents, report = read(path, field_map={"text": "matn"})

    assert documents == []
    assert problems(report) == [("kutub.jsonl", 1, 'no "matn" field')]


def test_unknown_field_in_field_map_fails_at_once(tmp_path):
    path = write(tmp_path / "a.jsonl", jsonl({"text": "نص"}))

    with pytest.raises(SourceError, match="'body'"):
        iter_documents([path], IngestReport(), {"body": "matn"})


def test_csv_rows_with_multiline_quoted_field(tmp_path):
    content = (
        "id,title,text,source_page\r\n"
        'a1,الأول,"' + ARABIC.replace("\n", "\r\n") + '",12\r\n'
        ',,"سطر ""مقتبس""\nوسطر ثان",\r\n'
    )
    path = write(tmp_path / "kutub.csv", content)

    (first, second), report = read(path)

    assert (first.id, first.title, first.collection) == ("a1", "الأول", "kutub")
    assert first.text == ARABIC.replace("\n", "\r\n")
    assert first.metadata == {"source_page": "12"}
    assert second.text == 'سطر "مقتبس"\nوسطر ثان'
    assert second.id == "kutub.csv:5"  # the line it starts on: the row before spans lines 2-4
    assert report.problems == []


def test_csv_bad_rows_reported_with_their_line(tmp_path):
    content = 'text,title\n"متعدد\nالأسطر",أ\n,بلا نص\n\nنص,ب,زائد\nنص,ج,\n"مقتبس"خطأ,د\nجيد,هـ\n"لم يغلق,و\nضائع,ز\n'
    path = write(tmp_path / "t.csv", content)

    documents, report = read(path)

    assert [d.title for d in documents] == ["أ", "ج", "هـ"]
    assert problems(report) == [
        ("t.csv", 4, '"text" is empty'),
        ("t.csv", 6, "the row has 3 fields but the header has 2"),
        ("t.csv", 8, "malformed CSV: text after a closing quote "
                     '(write a quote inside a quoted field as "")'),
        ("t.csv", 10, "malformed CSV: a quoted field that starts on this row is never closed"),
    ]  # fmt: skip


def test_csv_without_text_column_names_its_columns(tmp_path):
    bad = write(tmp_path / "a.csv", "matn,heading\nنص,عنوان\n")
    good = write(tmp_path / "b.txt", ARABIC)

    documents, report = read(bad, good)

    assert [d.source for d in documents] == [str(good)]
    assert problems(report) == [("a.csv", 1, 'no "text" column; the columns are: matn, heading')]


def test_csv_field_map(tmp_path):
    path = write(tmp_path / "a.csv", "matn,heading,text\n" + '"' + ARABIC + '",عنوان,آخر\n')

    (document,), _ = read(path, field_map={"text": "matn", "title": "heading"})

    assert (document.text, document.title) == (ARABIC, "عنوان")
    assert document.metadata == {"text": "آخر"}


def test_csv_header_only_and_empty_csv_are_reported(tmp_path):
    header_only = write(tmp_path / "a.csv", "text,title\n")
    empty = write(tmp_path / "b.csv", "")

    documents, report = read(header_only, empty)

    assert documents == []
    assert problems(report) == [
        ("a.csv", None, "no rows after the header"),
        ("b.csv", None, "empty file"),
    ]


# --- encodings --------------------------------------------------------------------


def test_invalid_utf8_file_is_reported_with_its_line_and_the_rest_read(tmp_path):
    folder = tmp_path / "mixed"
    write(folder / "a.txt", "سطر أول\nسطر ثان\n".encode() + "سطر ثالث cp1256\n".encode("cp1256"))
    write(folder / "b.txt", ARABIC)

    documents, report = read(folder)

    assert [d.id for d in documents] == ["mixed/b.txt"]
    assert problems(report) == [("a.txt", 3, "not valid UTF-8 (byte 0xd3 at line 3); save it as UTF-8")]


def test_invalid_utf8_in_jsonl_and_csv_skips_only_that_record(tmp_path):
    bad_jsonl = write(
        tmp_path / "a.jsonl",
        jsonl({"text": "أول"}).encode() + b'{"text": "\xe9t\xe9"}\n' + jsonl({"text": "ثالث"}).encode(),
    )
    bad_csv = write(tmp_path / "b.csv", b'text\n"one\ntw\xff"\n' + "ثلاثة\n".encode())

    documents, report = read(bad_jsonl, bad_csv)

    assert [d.text for d in documents] == ["أول", "ثالث", "ثلاثة"]
    assert problems(report) == [
        ("a.jsonl", 2, "not valid UTF-8 (byte 0xe9 at line 2); save it as UTF-8"),
        ("b.csv", 2, "not valid UTF-8 (byte 0xff at line 3); save it as UTF-8"),
    ]


def test_bom_is_removed_and_nothing_else(tmp_path):
    bom = b"\xef\xbb\xbf"
    txt = write(tmp_path / "a.txt", bom + ARABIC.encode())
    records = write(tmp_path / "b.jsonl", bom + jsonl({"text": "نص"}).encode())
    table = write(tmp_path / "c.csv", bom + "text\nخلية\n".encode())

    documents, report = read(txt, records, table)

    assert [d.text for d in documents] == [ARABIC, "نص", "خلية"]
    assert report.problems == []


# --- files and folders ------------------------------------------------------------


def test_missing_source_fails_before_anything_is_read(tmp_path):
    good = write(tmp_path / "a.txt", ARABIC)
    report = IngestReport()

    with pytest.raises(SourceError, match="no-such-folder: no such file or folder"):
        iter_documents([good, tmp_path / "no-such-folder"], report)
    with pytest.raises(SourceError, match="no such file"):
        total_bytes([tmp_path / "missing.txt"])
    assert report.bytes_read == 0


def test_unsupported_single_file_fails(tmp_path):
    pdf = write(tmp_path / "book.pdf", b"%PDF")
    bare = write(tmp_path / "README", "نص")

    with pytest.raises(SourceError, match=r"cannot index '\.pdf' files \(supported: \.csv"):
        iter_documents([pdf], IngestReport())
    with pytest.raises(SourceError, match="without an extension"):
        iter_documents([bare], IngestReport())


def test_folder_ignores_hidden_and_unsupported_files_and_walks_in_sorted_order(tmp_path):
    folder = tmp_path / "news"
    hidden = [".draft.txt", ".git/x.txt"]
    for name in ["c.txt", "b/z.md", "a.TXT", "b/a.htm", "notes.pdf", "B.txt", *hidden]:
        write(folder / name, "خبر " + name)

    documents, report = read(folder)

    ids = [d.id for d in documents]
    assert ids == ["news/B.txt", "news/a.TXT", "news/b/a.htm", "news/b/z.md", "news/c.txt"]
    assert [d.id for d in read(folder)[0]] == ids
    assert report.problems == []


def test_ids_and_collections(tmp_path):
    folder = tmp_path / "archive"
    write(folder / "2023" / "a.txt", "نص")
    records = jsonl({"text": "سجل"}, {"text": "سجل", "id": " given ", "collection": "c"})
    write(folder / "2023" / "data.jsonl", records)
    single = write(tmp_path / "shelf" / "b.md", "# عنوان\nنص")
    single_jsonl = write(tmp_path / "shelf" / "fatawa.jsonl", jsonl({"text": "فتوى"}))

    documents, _ = read(folder, single, single_jsonl)

    assert [(d.id, d.collection) for d in documents] == [
        ("archive/2023/a.txt", "archive"),
        ("archive/2023/data.jsonl:1", "data"),
        ("given", "c"),
        ("b.md", "shelf"),
        ("fatawa.jsonl:1", "fatawa"),
    ]  # fmt: skip


def test_duplicate_ids_keep_the_first(tmp_path):
    first = write(tmp_path / "a.jsonl", jsonl({"id": "x1", "text": "الأول"}))
    second = write(tmp_path / "b.csv", "id,text\nx2,ثان\nx1,مكرر\n")

    documents, report = read(first, second)

    assert [d.text for d in documents] == ["الأول", "ثان"]
    assert problems(report) == [("b.csv", 3, f"duplicate id 'x1' (first seen in {first}:1)")]


def test_a_file_listed_twice_is_read_once(tmp_path):
    folder = tmp_path / "news"
    path = write(folder / "a.txt", ARABIC)

    documents, report = read(folder, path)

    assert [d.id for d in documents] == ["news/a.txt"]
    assert report.bytes_read == total_bytes([folder, path]) == path.stat().st_size


def test_empty_files_and_folders_are_reported(tmp_path):
    write(tmp_path / "news" / "empty.txt", "")
    write(tmp_path / "news" / "blank.md", " \n\t\n")
    write(tmp_path / "news" / "blank.jsonl", "\n\n")
    write(tmp_path / "news" / "ok.txt", "نص")
    (tmp_path / "nothing").mkdir()

    documents, report = read(tmp_path / "news", tmp_path / "nothing")

    assert [d.id for d in documents] == ["news/ok.txt"]
    assert problems(report)[:3] == [
        ("blank.jsonl", None, "empty file"),
        ("blank.md", None, "empty file"),
        ("empty.txt", None, "empty file"),
    ]
    assert problems(report)[3][0] == "nothing"
    assert problems(report)[3][2].startswith("no files to index in this folder")


def test_unreadable_file_is_reported_and_the_rest_read(tmp_path):
    folder = tmp_path / "news"
    (folder / "b.txt").parent.mkdir()
    (folder / "a.txt").symlink_to(tmp_path / "gone.txt")
    write(folder / "b.txt", ARABIC)

    documents, report = read(folder)

    assert [d.id for d in documents] == ["news/b.txt"]
    assert problems(report) == [("a.txt", None, "cannot read the file: No such file or directory")]


def test_links_in_a_loop_fifos_and_devices_are_reported_and_the_rest_read(tmp_path):
    folder = tmp_path / "news"
    write(folder / "b.txt", ARABIC)
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")  # reading it would wait forever
    (folder / "zero.txt").symlink_to("/dev/zero")  # reading it would fill the memory

    for sources in ([folder], [folder / "pipe.txt", folder / "zero.txt", folder / "b.txt"]):
        documents, report = read(*sources)

        assert [d.text for d in documents] == [ARABIC]
        assert sorted(problems(report)) == [
            p
            for p in [
                ("loop.txt", None, "cannot read it: Too many levels of symbolic links"),
                ("pipe.txt", None, "not a regular file but a FIFO: left out"),
                ("zero.txt", None, "not a regular file but a device: left out"),
            ]
            if folder / p[0] in sources or sources == [folder]
        ]


def test_a_document_over_the_size_limit_is_cut_at_a_word_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_DOCUMENT_BYTES", 1000)
    word = "كلمة "  # 9 bytes of UTF-8
    write(tmp_path / "long.txt", word * 500)
    write(tmp_path / "short.txt", word * 100)
    write(tmp_path / "one-word.txt", "ب" * 2000)  # no space to cut at: cut between letters
    write(tmp_path / "odd.txt", "x" + "ب" * 2000)  # the limit falls inside a letter: it is left out whole
    write(tmp_path / "rows.jsonl", jsonl({"id": "r", "text": word * 500}, {"id": "s", "text": word * 3}))

    documents, report = read(tmp_path)
    texts = {d.id.split("/")[-1]: d.text for d in documents}

    assert texts["long.txt"] == (word * 111).rstrip() and texts["r"] == (word * 111).rstrip()
    assert texts["short.txt"] == word * 100 and texts["s"] == word * 3
    assert texts["one-word.txt"] == "ب" * 500 and texts["odd.txt"] == "x" + "ب" * 499
    assert report.skipped == 0
    assert [(name, line) for name, line, _ in problems(report)] == [
        ("long.txt", None),
        ("odd.txt", None),
        ("one-word.txt", None),
        ("rows.jsonl", 1),
    ]
    assert problems(report)[0][2].startswith("too long (0.0 MB): only its first 0.0 MB are indexed, up to a word")
    assert problems(report)[3][2].startswith('"text" is too long')
    with pytest.raises(SourceError, match="long.txt: too long"):
        read(tmp_path, strict=True)


def test_strict_mode_stops_at_the_first_problem(tmp_path):
    content = jsonl({"text": "أول"}) + "{broken\n" + jsonl({"text": "ثالث"})
    path = write(tmp_path / "a.jsonl", content)
    report = IngestReport(strict=True)
    documents = iter_documents([path], report)

    assert next(documents).text == "أول"
    with pytest.raises(SourceError, match=r"a\.jsonl:2: malformed JSON"):
        next(documents)


# --- progress ---------------------------------------------------------------------


def test_bytes_read_grows_while_reading_and_ends_at_total_bytes(tmp_path):
    folder = tmp_path / "corpus"
    write(folder / "big.jsonl", jsonl(*({"text": f"سطر {i} " + ARABIC} for i in range(50))))
    write(folder / "no-text-column.csv", "matn\nنص\n")
    write(folder / "latin1.txt", "caf\xe9".encode("latin-1"))
    write(folder / "page.html", "<p>" + ARABIC + "</p>")
    report = IngestReport()
    seen = []

    for _ in iter_documents([folder], report):
        seen.append(report.bytes_read)

    assert seen == sorted(seen) and seen[0] < seen[48] < seen[-1]
    assert report.bytes_read == total_bytes([folder])
    assert total_bytes([folder]) == sum(p.stat().st_size for p in folder.iterdir())
    assert len(report.problems) == 2


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".html", ".htm", ".jsonl", ".csv"}
