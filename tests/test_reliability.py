"""Kills at moments spread over a run of `index` and `update` (the benchmark,
bench/reliability.py, kills each 20 times at random moments): each leaves the old
index or the new one, whole by `arabic-search check`, and the next run completes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
import reliability  # noqa: E402


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("kills")
    return work, *reliability.prepare_kills(work)


@pytest.mark.parametrize("kind", ["index", "update"])
@pytest.mark.parametrize("moment", [0.1, 0.5, 0.9])
def test_a_kill_at_any_moment_leaves_a_whole_index_old_or_new(prepared, kind, moment, tmp_path):
    work, base, change, runs = prepared
    seconds, expected = runs[kind]
    assert expected["before"] != expected["after"]  # the run changes what a search finds
    assert reliability.kill_trial(kind, base, change, tmp_path, seconds * moment, expected) is None
