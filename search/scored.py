"""The documents a query (or a part of one) matches, with their scores, in
whichever of two forms costs less.

Few documents: their sorted numbers and scores (*sparse*): a conjunction then
starts from its rarest part and probes the others only for the documents that
remain, a binary search each, so a rare word costs what it matches, not the
size of the corpus. Many documents: a mask and a score for every document
(*dense*): the union of words found in half the corpus is a scatter, not a sort.
Counts and facets are exact in both forms.
"""

from __future__ import annotations

import numpy as np

from .compiled import merge

# A result holding more than this share of the documents is kept dense.
DENSE_SHARE = 1 / 16

_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


class Scored:
    """Matching documents and their scores over an index of ``size`` documents:
    ``ids`` sorted with ``score`` beside them (sparse), or ``mask`` with
    ``score`` for every document (dense)."""

    __slots__ = ("size", "ids", "mask", "score", "_docs")

    def __init__(
        self, size: int, ids: np.ndarray | None = None, score: np.ndarray | None = None, mask: np.ndarray | None = None
    ) -> None:
        self.size = size
        self.ids = ids
        self.mask = mask
        self.score = score if score is not None else _NO_SCORES
        self._docs = ids

    @classmethod
    def of(cls, size: int, ids: np.ndarray, score: np.ndarray) -> Scored:
        """From sorted, distinct document numbers; dense if they are many."""
        if len(ids) > size * DENSE_SHARE:
            mask = np.zeros(size, dtype=bool)
            mask[ids] = True
            dense = np.zeros(size)
            dense[ids] = score
            return cls(size, score=dense, mask=mask)
        return cls(size, ids, score)

    @classmethod
    def nothing(cls, size: int) -> Scored:
        return cls(size, _NO_IDS, _NO_SCORES)

    @classmethod
    def every(cls, live: np.ndarray) -> Scored:
        return cls(len(live), score=np.zeros(len(live)), mask=live.copy())

    @property
    def dense(self) -> bool:
        return self.mask is not None

    def docs(self) -> np.ndarray:
        """The matching documents' numbers, sorted (of a dense result, found
        once: its mask does not change)."""
        if self._docs is None:
            self._docs = np.flatnonzero(self.mask)
        return self._docs

    def scores(self) -> np.ndarray:
        """The scores of :meth:`docs`, in their order (taken at the documents:
        indexing by a mask that holds a third of a million documents costs ten
        times as much)."""
        return self.score[self.docs()] if self.mask is not None else self.score

    def count(self) -> int:
        return int(np.count_nonzero(self.mask)) if self.mask is not None else len(self.ids)  # type: ignore[arg-type]

    def dense_mask(self) -> np.ndarray:
        if self.mask is not None:
            return self.mask
        mask = np.zeros(self.size, dtype=bool)
        mask[self.ids] = True
        return mask

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """For each of these (sorted) documents, whether it matches."""
        if self.mask is not None:
            return self.mask[ids]
        at = np.searchsorted(self.ids, ids)  # type: ignore[arg-type]
        found = at < len(self.ids)  # type: ignore[arg-type]
        found[found] = self.ids[at[found]] == ids[found]  # type: ignore[index]
        return found

    def score_of(self, ids: np.ndarray) -> np.ndarray:
        """The scores of these (sorted) documents; 0 where they do not match."""
        if self.mask is not None:
            return self.score[ids] * self.mask[ids]
        at = np.searchsorted(self.ids, ids)  # type: ignore[arg-type]
        found = at < len(self.ids)  # type: ignore[arg-type]
        found[found] = self.ids[at[found]] == ids[found]  # type: ignore[index]
        scores = np.zeros(len(ids))
        scores[found] = self.score[at[found]]
        return scores

    def within(self, other: Scored | None) -> Scored:
        """The documents that ``other`` also matches (all of them for None), with these scores."""
        if other is None:
            return self
        if self.mask is not None:
            if other.mask is not None:
                return Scored(self.size, score=self.score, mask=self.mask & other.mask)
            ids = other.ids[self.mask[other.ids]]  # type: ignore[index]
            return Scored(self.size, ids, self.score[ids])
        keep = other.contains(self.ids)  # type: ignore[arg-type]
        return Scored(self.size, self.ids[keep], self.score[keep])  # type: ignore[index]

    def without(self, other: Scored) -> Scored:
        """The documents that ``other`` does not match, with these scores."""
        if self.mask is not None:
            return Scored(self.size, score=self.score, mask=self.mask & ~other.dense_mask())
        keep = ~other.contains(self.ids)  # type: ignore[arg-type]
        return Scored(self.size, self.ids[keep], self.score[keep])  # type: ignore[index]

    def plus(self, other: Scored) -> Scored:
        """These documents, with ``other``'s scores added where it matches them."""
        if self.mask is not None:
            extra = other.score * other.mask if other.mask is not None else _scatter(other, self.size)
            return Scored(self.size, score=self.score + extra, mask=self.mask)
        return Scored(self.size, self.ids, self.score + other.score_of(self.ids))  # type: ignore[arg-type]

    def add_at(self, ids: np.ndarray, extra: np.ndarray) -> None:
        """Add ``extra`` to the scores of these matching documents (sorted)."""
        if self.mask is not None:
            self.score[ids] += extra
        else:
            self.score[np.searchsorted(self.ids, ids)] += extra  # type: ignore[arg-type]


def _sparse(scored: Scored) -> tuple[np.ndarray, np.ndarray]:
    return scored.docs(), scored.scores()


def _scatter(scored: Scored, size: int) -> np.ndarray:
    dense = np.zeros(size)
    dense[scored.ids] = scored.score
    return dense


def union(parts: list[Scored], size: int) -> Scored:
    """Documents matched by any part; their scores summed."""
    if not parts:
        return Scored.nothing(size)
    if len(parts) == 1:
        return parts[0]
    if any(part.dense for part in parts) or sum(part.count() for part in parts) > size * DENSE_SHARE:
        mask = np.zeros(size, dtype=bool)
        score = np.zeros(size)
        for part in parts:
            if part.mask is not None:
                mask |= part.mask
                score += part.score * part.mask
            else:
                mask[part.ids] = True
                score[part.ids] += part.score  # ids are distinct within a part
        return Scored(size, score=score, mask=mask)
    ids, score = _sparse(parts[0])
    for part in parts[1:]:
        ids, score = merge.union(ids, score, part.ids, part.score)  # type: ignore[arg-type]
    return Scored(size, ids, score)


def intersection(parts: list[Scored], size: int) -> Scored:
    """Documents matched by every part; their scores summed. Starts from the
    rarest part and probes the others for what remains."""
    if not parts:
        return Scored.nothing(size)
    if all(part.dense for part in parts):
        mask = parts[0].mask.copy()  # type: ignore[union-attr]
        for part in parts[1:]:
            mask &= part.mask  # type: ignore[operator]
        if np.count_nonzero(mask) > size * DENSE_SHARE:
            score = parts[0].score.copy()
            for part in parts[1:]:
                score += part.score
            return Scored(size, score=score, mask=mask)
        # Frequent words seldom all stand in one document: their scores are
        # summed where they do, not over the whole corpus.
        ids = np.flatnonzero(mask)
        score = parts[0].score[ids]
        for part in parts[1:]:
            score += part.score[ids]
        return Scored(size, ids, score)
    ordered = sorted(parts, key=Scored.count)
    ids, score = _sparse(ordered[0])
    for part in ordered[1:]:
        if not len(ids):  # type: ignore[arg-type]
            break
        keep = part.contains(ids)  # type: ignore[arg-type]
        ids = ids[keep]  # type: ignore[index]
        score = score[keep] + part.score_of(ids)
    return Scored(size, ids, score)
