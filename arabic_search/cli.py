"""``arabic-search``: index, update, search, serve, analyze, stats.

Each command turns flags into one :class:`Settings` and calls the library; errors
become one line and exit code 2 (see :class:`Commands`).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import click

from indexer import ArabicSearchError, IndexNotFoundError, Settings, build_index, index_stats, update_index
from indexer.analysis import STRATEGIES, explain
from indexer.check import check, remove_leftovers
from indexer.report import Problem, count_skipped
from indexer.storage import check_index
from search import MAX_PER_PAGE, open_index
from web.server import serve as serve_app

MAX_PROBLEMS_SHOWN = 20
JSON_ERRORS = "arabic_search.json_errors"  # in click's shared ctx.meta: a command that prints JSON


class UsageProblem(click.ClickException):
    """A user error: message on stderr, exit code 2."""

    exit_code = 2


class Commands(click.Group):
    """Runs a command and reports what went wrong in one line, exit code 2: our
    own errors (``ArabicSearchError``) as they are; anything else as a bug, with
    the traceback written to a log file, never shown on the terminal."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except ArabicSearchError as error:
            _fail(ctx, error.code, str(error))
        except KeyboardInterrupt:
            click.echo("interrupted; the index is as it was before this command", err=True)
            sys.exit(130)
        except BrokenPipeError:  # `arabic-search search ... | head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
            sys.exit(141)  # as a shell reports a process ended by SIGPIPE
        except Exception as error:
            log = _write_traceback(error)
            summary = f"{type(error).__name__}: {error}".splitlines()[0]
            _fail(ctx, "internal_error", f"unexpected error ({summary}); this is a bug: the traceback is in {log}")


def _fail(ctx: click.Context, code: str, message: str) -> NoReturn:
    """Exit 2 with ``message``: on stderr, or, for a command printing JSON, on
    stdout in the API's error shape."""
    if ctx.meta.get(JSON_ERRORS):
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
        ctx.exit(2)
    raise UsageProblem(message)


def _write_traceback(error: BaseException) -> str:
    """Write the command line and the full traceback to a new file in the temporary directory; its path."""
    handle, path = tempfile.mkstemp(prefix="arabic-search-error-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as log:
        log.write(f"arabic-search {' '.join(sys.argv[1:])}\n\n")
        log.write("".join(traceback.format_exception(error)))
    return path


def _count(n: int, noun: str) -> str:
    """``1 result``, ``2 results``, ``1,511 documents``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def index_dir_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Index directory [env ARABIC_SEARCH_INDEX; default ./index_data].",
    )(command)


def _field_map(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours or not theirs:
            raise click.BadParameter(f"{pair!r} is not FIELD=COLUMN, e.g. text=matn", param_hint="--field")
        mapping[ours] = theirs
    return mapping


def _left_out(problems: list[Problem]) -> str:
    """How many inputs were skipped, and documents shortened if any were."""
    skipped = count_skipped(problems)
    shortened = len(problems) - skipped
    return f"{skipped:,} skipped" + (f", {shortened:,} shortened" if shortened else "")


def _show_problems(problems: list[Problem]) -> None:
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"{'skipped' if problem.skipped else 'shortened'} {problem}", err=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more skipped or shortened", err=True)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arabic-search")
def main() -> None:
    """Arabic full-text search: build an index of Arabic documents and search it."""


source_options = [
    click.option("--strict", is_flag=True, help="Stop at the first unreadable file or record instead of skipping it."),
    click.option(
        "--field",
        "fields",
        multiple=True,
        metavar="FIELD=COLUMN",
        help="Read FIELD (text, title, id, collection, date, url) from another JSONL key or CSV column. Repeatable.",
    ),
]


def with_source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(source_options):
        command = option(command)
    return command


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_dir_option
@with_source_options
@click.option(
    "--procs", type=click.IntRange(min=0), help="Indexing processes (0: automatic) [env ARABIC_SEARCH_PROCS]."
)
@click.option("--stemmer", type=click.Choice(STRATEGIES), help="Stemming strategy [env ARABIC_SEARCH_STEMMER].")
def index(
    sources: tuple[Path, ...],
    index_dir: Path | None,
    strict: bool,
    fields: tuple[str, ...],
    procs: int | None,
    stemmer: str | None,
) -> None:
    """Build a new index from SOURCES (folders, .txt .md .html .jsonl .csv files).

    With no SOURCES, index the bundled sample corpus. The new index replaces the
    old one only when it is complete.
    """
    settings = Settings.load(index_dir=index_dir, procs=procs, stemmer=stemmer)
    stats = build_index(sources or None, settings=settings, strict=strict, field_map=_field_map(fields), progress=True)
    _show_problems(stats.problems)
    collections = ", ".join(f"{name or '(none)'}: {count:,}" for name, count in stats.collections.items())
    click.echo(
        f"indexed {_count(stats.documents, 'document')} ({collections}) in {stats.seconds:.1f} s; "
        f"{_left_out(stats.problems)}; index size {_size(stats.index_bytes)} at {stats.index_dir}"
    )


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_dir_option
@with_source_options
@click.option("--prune", is_flag=True, help="Also delete indexed documents that SOURCES no longer contain.")
def update(
    sources: tuple[Path, ...], index_dir: Path | None, strict: bool, fields: tuple[str, ...], prune: bool
) -> None:
    """Add new and re-index changed documents from SOURCES; leave the rest alone.

    Like a build, the changes become live together, only once all are written.
    """
    settings = Settings.load(index_dir=index_dir)
    stats = update_index(sources, settings=settings, prune=prune, strict=strict, field_map=_field_map(fields))
    _show_problems(stats.problems)
    click.echo(
        f"added {stats.added:,}, changed {stats.changed:,}, unchanged {stats.unchanged:,}, "
        f"deleted {stats.deleted:,}, {_left_out(stats.problems)}; {_count(stats.documents, 'document')} "
        f"in the index ({stats.seconds:.1f} s)"
    )


@main.command()
@index_dir_option
@click.option("--host", help="Address to listen on [env ARABIC_SEARCH_HOST; default 127.0.0.1: this machine only].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [env ARABIC_SEARCH_PORT; default 5000].")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes [env ARABIC_SEARCH_WORKERS; default one per core].",
)
@click.option("--debug", is_flag=True, help="Flask's development server with the reloader, for working on the code.")
def serve(index_dir: Path | None, host: str | None, port: int | None, workers: int | None, debug: bool) -> None:
    """Serve the search page and the JSON API.

    With no index at the default location, the bundled sample is indexed first,
    so that a new install has something to search.
    """
    settings = Settings.load(index_dir=index_dir, host=host, port=port, workers=workers)
    chosen = index_dir is not None or os.environ.get("ARABIC_SEARCH_INDEX")
    try:
        # Not index_stats: it reads every stored document (a second of the
        # cold start on 34,000 hadith).
        check_index(settings.index_dir)
    except IndexNotFoundError:
        if chosen:
            raise
        click.echo(f"no index at {settings.index_dir} yet: indexing the bundled sample first", err=True)
        build_index(settings=settings, progress=True)
    for removed in remove_leftovers(settings.index_dir):
        click.echo(f"cleaned {removed}", err=True)
    click.echo(f"serving {settings.index_dir} on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", err=True)
    serve_app(settings, debug=debug)


@main.command()
@click.argument("text")
@click.option("--stemmer", type=click.Choice(STRATEGIES), help="Stemming strategy [env ARABIC_SEARCH_STEMMER].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def analyze(text: str, stemmer: str | None, as_json: bool) -> None:
    """Show how TEXT is analyzed: each word's original form, normalized form,
    stems, lemmas and character offsets. Use it to see why a word matches or not."""
    strategy = Settings.load(stemmer=stemmer).stemmer
    rows = [asdict(word) for word in explain(text, strategy)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no words in this text", err=True)
        return
    click.echo(_pad("original", 16) + _pad("normalized", 16) + _pad("stems", 24) + _pad("lemmas", 16) + "offsets")
    for row in rows:
        stem_text = "(stop word)" if row["stop_word"] else " ".join(row["stems"])
        click.echo(
            _pad(row["original"], 16)
            + _pad(" ".join(row["normalized"]), 16)
            + _pad(stem_text, 24)
            + _pad(" ".join(row["lemmas"]) or "-", 16)
            + f"{row['start']}-{row['end']}"
        )


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal columns: diacritics and format marks take none."""
    columns = sum(1 for c in text if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    return text + " " * max(1, width - columns)


@main.command()
@click.argument("query")
@index_dir_option
@click.option("--page", type=int, default=1, show_default=True, help="Page of results.")
@click.option("--per-page", type=int, default=10, show_default=True, help=f"Results per page (at most {MAX_PER_PAGE}).")
@click.option("--collection", "collections", multiple=True, help="Only this collection (any spelling). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON structure that the API returns.")
@click.option(
    "--no-correct",
    "exact",
    is_flag=True,
    help="Search exactly the query typed, even when a spelling correction finds more.",
)
def search(
    query: str,
    index_dir: Path | None,
    page: int,
    per_page: int,
    collections: tuple[str, ...],
    as_json: bool,
    exact: bool,
) -> None:
    """Search the index. Exit code 0 with results, 1 without, 2 for a bad query,
    no index or any other error (with --json, printed as JSON on stdout).

    \b
    وزير الدفاع          all words, in any form
    "وزير الدفاع"        the exact phrase
    العراق -داعش         without a word
    العراق OR سوريا      either word
    title:أوستن          in the title
    اقتصا*  الاقتصد~     prefix, fuzzy
    =المسلمين            this exact form
    """
    click.get_current_context().meta[JSON_ERRORS] = as_json
    settings = Settings.load(index_dir=index_dir)
    with open_index(settings.index_dir) as engine:
        result = engine.search(
            query,
            page=page,
            per_page=per_page,
            filters={"collection": list(collections)} if collections else None,
            correct=not exact,
        )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_results(result)
    sys.exit(0 if result["hits"] else 1)


def _print_results(result: dict[str, Any]) -> None:
    meaning = result["interpretation"]
    for note in meaning["notes"]:
        click.echo(f"note: {note}", err=True)
    if meaning["ignored_stop_words"]:
        click.echo(f"note: common words left out: {' '.join(meaning['ignored_stop_words'])}", err=True)
    if result["corrected"]:
        click.echo(f"showing results for: {result['corrected']['query']}")
        click.echo(f"search instead for: {result['corrected']['original']} (with --no-correct)")
    elif result["suggestion"]:
        click.echo(f"did you mean: {result['suggestion']}")
    first = (result["page"] - 1) * result["per_page"] + 1
    shown = f"{first}-{first + len(result['hits']) - 1} of " if result["hits"] else ""
    click.echo(f"{shown}{_count(result['total'], 'result')} ({result['took_ms']:.1f} ms)")
    for rank, hit in enumerate(result["hits"], first):
        collection = f"  [{hit['collection']}]" if hit["collection"] else ""
        click.echo(f"\n{rank}. {_terminal(hit['title_html'])}{collection}  ({hit['id']})")
        click.echo(f"   {_terminal(hit['snippet'])}")


def _terminal(marked_html: str) -> str:
    """Highlighted HTML for a terminal: <mark> in bold yellow (plain in pipes), entities decoded."""
    parts = re.split(r"<mark>(.*?)</mark>", marked_html)
    return "".join(
        click.style(html.unescape(part), fg="yellow", bold=True) if i % 2 else html.unescape(part)
        for i, part in enumerate(parts)
    )


@main.command()
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(index_dir: Path | None, as_json: bool) -> None:
    """Show what the index holds: documents per collection, fields, size, schema version, build time."""
    settings = Settings.load(index_dir=index_dir)
    info = index_stats(settings.index_dir)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"index:          {info['index_dir']} ({info['generation']})")
    click.echo(f"documents:      {info['documents']:,}")
    for name, count in info["collections"].items():
        click.echo(f"  {name or '(no collection)'}: {count:,}")
    click.echo(f"fields:         {', '.join(info['fields'])}")
    click.echo(f"size:           {_size(info['index_bytes'])}")
    click.echo(f"schema version: {info['schema_version']} (stemmer: {info['stemmer']})")
    click.echo(f"built:          {info['built_at']} in {info['build_seconds']:.1f} s")
    click.echo(f"updated:        {info['updated_at']}")


@main.command("check")
@index_dir_option
@click.option(
    "--repair", is_flag=True, help="Derive again what can be (arrays, vocabulary, CURRENT); remove leftovers."
)
def check_command(index_dir: Path | None, repair: bool) -> None:
    """Check that the index is whole and its parts in step: one line per problem.
    Exit 0 when nothing is wrong (or all was repaired), 1 when problems remain."""
    settings = Settings.load(index_dir=index_dir)
    report = check(settings.index_dir, repair=repair)
    for line in report.repaired:
        click.echo(f"repaired: {line}")
    for line in report.problems:
        click.echo(f"problem: {line}", err=True)
    where = f"{settings.index_dir} ({report.generation})" if report.generation else str(settings.index_dir)
    if report.ok:
        click.echo(f"ok: {where}, {_count(report.documents, 'document')} in {_count(report.segments, 'segment')}")
        return
    hint = "" if repair else "; `arabic-search check --repair` mends what can be derived again"
    click.echo(f"{len(report.problems)} problem(s) in {where}{hint}", err=True)
    sys.exit(1)
