"""End-to-end tests in a real headless Chromium: the pages as a user sees and uses them.

The real ``arabic-search serve`` runs on a free port (``live_server``) over the web
corpus of ``conftest.py``; Playwright's sync API drives Debian's Chromium. Screenshots
of the main states land in ``test-artifacts/screenshots/`` (git-ignored) for a human
to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import HOSTILE_TEXT, ROOT, live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 5_000

# Runs in every page before its own scripts: remembers every write to document.title
# and every Content-Security-Policy violation, so a test can say "never", not "not now".
WATCH_SCRIPT = """
(() => {
  window.__titleWrites = [];
  window.__cspViolations = [];
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  Object.defineProperty(Document.prototype, "title", {
    configurable: true,
    get() { return title.get.call(this); },
    set(value) { window.__titleWrites.push(String(value)); title.set.call(this, value); },
  });
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
  });
})();
"""

expect.set_options(timeout=TIMEOUT_MS)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(web_index, tmp_path_factory):
    with live_server(web_index, cwd=tmp_path_factory.mktemp("browser-server")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with `apt-get install chromium` (do not run `playwright install`)."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What a page did that a user would not want: console errors, script errors,
    dialogs, failed requests, requests to other origins."""

    def __init__(self, page: Page, base: str) -> None:
        self.base = base
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(f"{m.text} @ {m.location}"))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url}: HTTP {r.status}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.base + "/")]


def open_page(browser: Browser, base: str, **context_options) -> tuple[Page, Watch]:
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "ar", **context_options}
    context = browser.new_context(base_url=base, **options)
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page, Watch(page, base)


@pytest.fixture
def page(browser, base_url):
    page, watch = open_page(browser, base_url)
    page.watch = watch
    yield page
    page.context.close()


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 0


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def hit_titles(page: Page) -> list[str]:
    return page.locator(".hit h3").all_inner_texts()


def search_for(page: Page, text: str) -> None:
    """Type in the search box and press Enter, as a user does."""
    box = page.locator("#q")
    box.click()
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


# -- the tests --------------------------------------------------------------------------


def test_search_from_the_home_page_shows_highlighted_results_in_rtl(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="ابحث في 27 وثيقة")).to_be_visible()
    screenshot(page, "home")

    search_for(page, "تعاون")
    assert urlsplit(page.url).path == "/" and query_of(page.url) == {"q": ["تعاون"]}
    summary = page.locator(".summary")
    expect(summary.locator(".count")).to_have_text("25 نتيجة")
    expect(summary).to_contain_text("الصفحة 1 من 3")
    expect(page.locator(".hit")).to_have_count(10)
    marks = page.locator(".hit mark").all_inner_texts()
    assert marks and set(marks) == {"التعاون"}  # the word as written in the text, not the query
    expect(page.locator("#q")).to_have_value("تعاون")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.hit')).direction") == "rtl"
    screenshot(page, "results")

    # The URL is a bookmark: opening it again gives the same page.
    titles = hit_titles(page)
    again = page.context.new_page()
    again.goto(page.url)
    assert hit_titles(again) == titles
    again.close()

    # A query without diacritics finds and marks the diacritized original.
    search_for(page, "الاعمال")
    expect(page.locator(".hit")).to_have_count(1)
    assert page.locator(".hit mark").all_inner_texts() == ["الْأَعْمَالُ"]
    expect(page.locator("#q")).to_have_value("الاعمال")


def test_pagination_next_and_the_back_button(page):
    page.goto("/?q=التعاون")
    first = hit_titles(page)
    assert len(first) == 10
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("1")

    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(lambda url: query_of(url).get("page") == ["2"])
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("2")
    second = hit_titles(page)
    assert len(second) == 10 and not set(first) & set(second)
    expect(page.locator(".pagination a[rel=prev]")).to_be_visible()

    page.go_back()
    page.wait_for_url(lambda url: "page" not in query_of(url))
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("1")
    assert hit_titles(page) == first


def test_collection_facet_filters_and_unfilters(page):
    page.goto("/?q=التعاون")
    facets = page.locator(".facets")
    facets.get_by_role("link", name="رأي", exact=True).click()
    page.wait_for_url(lambda url: query_of(url).get("collection") == ["رأي"])
    expect(page.locator(".hit")).to_have_count(5)
    assert page.locator(".hit .collection").all_inner_texts() == ["رأي"] * 5
    expect(page.locator(".summary .count")).to_have_text("5 نتائج")
    expect(facets.locator("li.active")).to_contain_text("رأي")

    facets.get_by_role("link", name="رأي", exact=True).click()
    page.wait_for_url(lambda url: "collection" not in query_of(url))
    expect(page.locator(".hit")).to_have_count(10)
    expect(page.locator(".summary .count")).to_have_text("25 نتيجة")
    expect(facets.locator("li.active")).to_have_count(0)


def test_autocomplete_with_the_keyboard(page):
    page.goto("/")
    box = page.locator("#q")
    listbox = page.locator("#suggestions")
    options = listbox.get_by_role("option")
    box.click()
    box.press_sequentially("التعا", delay=40)
    expect(listbox).to_be_visible()
    expect(options.first).to_have_text("التعاون")
    expect(box).to_have_attribute("aria-expanded", "true")

    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    first_id = options.first.get_attribute("id")
    assert first_id
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    screenshot(page, "autocomplete", full_page=False)

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page.url) == {"q": ["التعاون"]}
    expect(page.locator(".summary .count")).to_have_text("25 نتيجة")

    # Escape closes the list and leaves what was typed.
    box.fill("")
    box.press_sequentially("التعا", delay=40)
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("التعا")


def test_autocomplete_follows_the_earlier_words_and_bolds_the_completion(page):
    page.goto("/")
    box = page.locator("#q")
    options = page.locator("#suggestions").get_by_role("option")
    box.click()
    box.press_sequentially("مقال ال", delay=40)
    # After مقال, a word of the opinion pieces (which have مقال), not the most frequent الأمني.
    expect(options.first).to_have_text("مقال الأمن")
    expect(options.first.locator("b")).to_have_text("أمن")  # what is added; what was typed stays plain
    screenshot(page, "autocomplete-context", full_page=False)

    box.fill("")
    box.press_sequentially("مسئ", delay=40)  # another hamza seat than the document's
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("مسؤولية")
    expect(options.first.locator("b")).to_have_text("ولية")
    with page.expect_navigation():
        options.first.click()
    assert query_of(page.url) == {"q": ["مسؤولية"]}
    assert page.watch.page_errors == []


def test_corrected_results_and_search_instead_for_the_original(page):
    page.goto("/?q=التعاوم")
    expect(page.locator(".corrected")).to_have_text("عرض نتائج: التعاون")
    expect(page.locator(".summary .count")).to_have_text("25 نتيجة")
    expect(page.locator(".hit")).to_have_count(10)
    screenshot(page, "corrected")
    page.locator(".original").get_by_role("link", name="التعاوم").click()
    page.wait_for_url(lambda url: query_of(url) == {"q": ["التعاوم"], "correct": ["false"]})
    expect(page.locator(".corrected")).to_have_count(0)
    expect(page.locator(".hit")).to_have_count(0)
    expect(page.locator(".didyoumean")).to_contain_text("التعاون")
    assert page.watch.page_errors == []


def test_open_a_document_and_come_back_to_the_results(page):
    page.goto("/?q=الاعمال")
    page.locator(".hit h3 a").first.click()
    page.wait_for_url("**/doc?id=h1&**")
    text = page.locator(".document .text")
    expect(text).to_have_text("قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ: إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ")
    assert text.locator("mark").all_inner_texts() == ["الْأَعْمَالُ"]
    expect(page.locator(".document h1")).to_have_text("حديث النية")
    expect(page.locator(".meta")).to_contain_text("حديث")
    # The Latin id sits beside its label on the right, not at the far left edge.
    label = page.locator(".meta dt", has_text="المعرّف").bounding_box()
    value = page.locator(".meta dd", has_text="h1").locator("bdi").bounding_box()
    assert label and value and label["x"] - (value["x"] + value["width"]) < 40
    screenshot(page, "document")

    page.get_by_role("link", name="العودة إلى النتائج").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/" and query_of(url) == {"q": ["الاعمال"]})
    expect(page.locator(".hit")).to_have_count(1)
    expect(page.locator("#q")).to_have_value("الاعمال")


def test_hostile_document_is_shown_as_text_and_runs_nothing(page):
    page.goto("/")
    search_for(page, "خطرة")
    expect(page.locator(".hit")).to_have_count(1)

    def shown_as_text() -> None:
        assert page.locator("img").count() == 0 and page.locator("[onerror]").count() == 0
        assert page.locator("script").count() == 1  # ours, from /static
        assert page.locator("main b").count() == 0  # the title's <b> is text too
        expect(page.get_by_text('<script>document.title="pwned"</script>').first).to_be_visible()

    shown_as_text()
    expect(page.locator(".hit h3")).to_have_text("<b>عنوان</b> <script>alert(1)</script>")

    page.locator(".hit h3 a").click()
    page.wait_for_url("**/doc?id=hostile**")
    shown_as_text()
    expect(page.locator(".document .text")).to_have_text(HOSTILE_TEXT)
    screenshot(page, "hostile-document")

    page.wait_for_timeout(200)  # room for a late onerror or timer to fire
    assert page.watch.dialogs == []
    assert "pwned" not in page.evaluate("window.__titleWrites")
    assert page.title() != "pwned" and "pwned" not in page.title()
    assert page.watch.page_errors == []


def test_no_console_errors_and_no_requests_elsewhere(browser, base_url):
    page, watch = open_page(browser, base_url)
    try:
        page.goto("/")
        box = page.locator("#q")
        box.click()
        box.press_sequentially("التعا", delay=40)
        expect(page.locator("#suggestions")).to_be_visible()  # our script ran, its fetch was allowed
        page.keyboard.press("Escape")
        box.fill("التعاون")
        with page.expect_navigation():
            box.press("Enter")
        page.locator(".pagination a[rel=next]").click()
        page.wait_for_url("**page=2**")
        page.locator(".facets").get_by_role("link", name="رأي", exact=True).click()
        page.wait_for_url("**collection=**")
        page.locator(".hit h3 a").first.click()
        page.wait_for_url("**/doc?id=**")
        page.goto("/doc/hostile")
        page.goto("/?q=nofield:x")  # the error page is a main page too
        page.goto("/?q=التعاوم")  # nothing found, with a suggestion
        page.wait_for_load_state("networkidle")

        page.goto("/doc/no-such-document")  # and the 404 page
        page.wait_for_load_state("networkidle")

        # The only failures are the deliberate ones (HTTP 400 and 404, which Chromium also logs).
        # A favicon still loading when the next page opens is aborted by the browser, not refused.
        deliberate = ("nofield", "no-such-document", "favicon.svg: net::ERR_ABORTED")
        assert [e for e in watch.console_errors if not any(d in e for d in deliberate)] == []
        assert [f for f in watch.failed if not any(d in f for d in deliberate)] == []
        assert any(url.endswith("/static/favicon.svg") for url in watch.requests)
        assert watch.page_errors == []
        assert page.evaluate("window.__cspViolations") == []
        assert watch.foreign_requests() == []
        assert any("/api/suggest" in url for url in watch.requests)
        assert any(url.endswith("/static/search.js") for url in watch.requests)
    finally:
        page.context.close()


def test_results_fit_a_phone_screen(browser, base_url):
    page, watch = open_page(
        browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        for url in ("/?q=التعاون", "/", "/doc/h1?q=الاعمال", "/doc/hostile"):
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} scrolls sideways: {width}px wide on a 390px screen"
        page.goto("/?q=التعاون")
        expect(page.locator(".hit")).to_have_count(10)
        # One column: the facets sit above the results, not squeezed beside them.
        facets = page.locator(".facets").bounding_box()
        results = page.locator(".results").bounding_box()
        assert facets and results and facets["y"] + facets["height"] <= results["y"] + 1
        screenshot(page, "results-mobile")
        assert watch.console_errors == []
    finally:
        page.context.close()


def test_no_results_message_sits_in_the_results_column(page):
    page.goto("/?q=التعاون")
    column = page.locator(".results").bounding_box()
    facets = page.locator(".facets").bounding_box()
    assert column and facets and facets["x"] > column["x"]  # right to left: the facets on the right

    page.goto("/?q=كلمةلاتوجد")
    expect(page.locator(".summary .count")).to_have_text("لا نتائج")
    message = page.locator(".empty").bounding_box()
    assert message, "no message"
    assert abs(message["x"] - column["x"]) <= 1 and abs(message["width"] - column["width"]) <= 1, (message, column)
    screenshot(page, "no-results")


def test_error_pages_speak_arabic_in_the_pages_font(page):
    for url, status in (("/?q=nofield:x", 400), ("/doc/no-such-document", 404), ("/?q=" + "و" * 1001, 400)):
        response = page.goto(url)
        assert response and response.status == status, url
        message = page.locator(".notice .message")
        expect(message).to_be_visible()
        assert re.search("[\u0621-\u064a]", message.inner_text()), url
        style = message.evaluate("e => [getComputedStyle(e).direction, getComputedStyle(e).fontFamily]")
        assert style[0] == "rtl" and "mono" not in style[1].lower(), (url, style)
        assert style[1] == page.evaluate("getComputedStyle(document.body).fontFamily"), url
    screenshot(page, "error")
