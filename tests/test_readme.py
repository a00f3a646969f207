"""The README's commands: CI runs its test command word for word, and the tests
install into a virtual environment of their own, not the Quick start's."""

from __future__ import annotations

import re

from conftest import ROOT


def readme_commands() -> list[str]:
    quick_start = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start, re.S)


def test_ci_runs_the_readme_test_command_exactly():
    _, test_command = readme_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_tests_do_not_reinstall_the_package_the_quick_start_serves():
    serve_command, test_command = readme_commands()
    serve_venv = re.search(r"python3 -m venv (\S+)", serve_command)[1]
    test_venv = re.search(r"python3 -m venv (\S+)", test_command)[1]
    assert serve_venv != test_venv and f". {test_venv}/bin/activate" in test_command
    assert "pip install . " in serve_command  # a regular install: its templates do not move with the work tree


def test_sudo_only_when_not_root():
    _, test_command = readme_commands()
    assert "sudo apt-get" not in test_command
    assert '$([ "$(id -u)" = 0 ] || echo sudo)' in test_command
