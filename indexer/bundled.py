"""The bundled sample corpus, indexed when no sources are given."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).parent / "sample"


def sample_sources() -> list[Path]:
    return [SAMPLE_DIR / "news", SAMPLE_DIR / "hadith.jsonl"]
