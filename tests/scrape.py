"""Reading Prometheus samples out of a `/metrics` exposition (with `prometheus_client`'s parser).

`value(text, "sender_origin_publishes_total")` is the sample with no labels,
`value(text, "sender_origin_publish_refused_total", reason="unknown_key")` the one with exactly
those labels; `None` when there is no such sample. `scrape(url)` fetches a role's `/metrics`.
"""

from __future__ import annotations

__all__ = ["declares", "labelled", "read_samples", "scrape", "value"]

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape(base_url: str) -> str:
    """The `/metrics` text of the role at `base_url`."""
    r = httpx.get(f"{base_url}/metrics", timeout=5)
    r.raise_for_status()
    return r.text


def read_samples(text: str) -> list[Sample]:
    """Every sample of the exposition `text`."""
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, /, **labels: str) -> float | None:
    """The value of the sample `name` with exactly `labels` (None when there is none)."""
    for s in read_samples(text):
        if s.name == name and s.labels == labels:
            return float(s.value)
    return None


def labelled(text: str, name: str, /, **labels: str) -> dict[str, float]:
    """Every sample `name` carrying at least `labels`, keyed by its label set as exposed
    (`{endpoint="ep",role="edge"}`, names sorted)."""
    return {
        "{" + ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items())) + "}": float(s.value)
        for s in read_samples(text)
        if s.name == name and labels.items() <= s.labels.items()
    }


def declares(text: str, family: str) -> bool:
    """True when the exposition declares `family` (even with no samples yet)."""
    names = {f.name for f in text_string_to_metric_families(text)}
    # the parser names a counter's family without its `_total` suffix
    return family in names or family.removesuffix("_total") in names
