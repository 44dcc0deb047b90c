"""Bounded label values: the first `limit` endpoints keep their name, the rest are `other`."""

from __future__ import annotations

__all__ = ["OVERFLOW_LABEL", "LabelCap"]

OVERFLOW_LABEL = "other"


class LabelCap:
    """Maps values to at most `limit` distinct labels (plus `other`), first come first kept."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._kept: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._kept:
            return value
        if len(self._kept) < self.limit:
            self._kept.add(value)
            return value
        return OVERFLOW_LABEL

    def totals(self, counts: dict[str, int]) -> dict[str, int]:
        """Sum `counts` by capped label."""
        out: dict[str, int] = {}
        for value, n in counts.items():
            label = self(value)
            out[label] = out.get(label, 0) + n
        return out

    def zero_filled(self, counts: dict[str, int]) -> dict[str, int]:
        """`totals`, plus 0 for every label seen before: a gauge falls to 0, it never freezes
        at its last value or vanishes."""
        out = dict.fromkeys(self._kept, 0)
        if len(self._kept) >= self.limit:
            out[OVERFLOW_LABEL] = 0
        out.update(self.totals(counts))
        return out
