"""What went wrong while reading sources: each problem with its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SourceError


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

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
        problem = Problem(str(path), line, message)
        if self.strict:
            raise SourceError(str(problem))
        self.problems.append(problem)

    @property
    def skipped(self) -> int:
        return len(self.problems)
