"""What went wrong while reading sources: each problem with its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SourceError


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    #: Left out (else indexed in part: see IngestReport.shorten).
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass
class IngestReport:
    """Collects skipped inputs so a run goes on and says at the end what it left out.

    With ``strict`` the first problem raises :class:`SourceError` instead.
    ``bytes_read`` grows as readers consume input; the progress bar follows it.
    """

    strict: bool = False
    problems: list[Problem] = field(default_factory=list)
    bytes_read: int = 0

    def skip(self, path: str, line: int | None, message: str) -> None:
        self._add(Problem(str(path), line, message))

    def shorten(self, path: str, line: int | None, message: str) -> None:
        """A document indexed in part only (its text over the size limit)."""
        self._add(Problem(str(path), line, message, skipped=False))

    def _add(self, problem: Problem) -> None:
        if self.strict:
            raise SourceError(str(problem))
        self.problems.append(problem)

    @property
    def skipped(self) -> int:
        return count_skipped(self.problems)


def count_skipped(problems: list[Problem]) -> int:
    """How many of these problems left an input out (the others shortened one)."""
    return sum(problem.skipped for problem in problems)
