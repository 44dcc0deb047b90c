"""Prometheus metrics declared once per role, and gauges read at scrape time.

A role's metrics class lists its counters and gauges as class attributes
(`counter(...)`, `gauge(...)`); each instance registers them on the registry it is given,
so every app has its own (no "Duplicated timeseries" between apps in one process).
"""

from __future__ import annotations

__all__ = ["Declared", "MetricSet", "ScrapedGauge", "counter", "gauge"]

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, overload

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

M = TypeVar("M", bound=MetricWrapperBase)


class Declared(Generic[M]):
    """A counter or gauge of a `MetricSet`; `{role}` in its name is the set's role."""

    def __init__(self, kind: type[M], name: str, doc: str, labels: tuple[str, ...]) -> None:
        self.kind: type[M] = kind
        self.name = name
        self.doc = doc
        self.labels = labels
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, obj: None, owner: type) -> Declared[M]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> M: ...
    def __get__(self, obj: object | None, owner: type) -> Declared[M] | M:
        if obj is None:
            return self
        raise AttributeError(f"{self.attr}: MetricSet.__init__ was not called")

    def build(self, registry: CollectorRegistry, role: str) -> M:
        name = self.name.format(role=role)
        return self.kind(name, self.doc, self.labels, registry=registry)


def counter(name: str, doc: str, *labels: str) -> Declared[Counter]:
    return Declared(Counter, name, doc, labels)


def gauge(name: str, doc: str, *labels: str) -> Declared[Gauge]:
    return Declared(Gauge, name, doc, labels)


class MetricSet:
    """Registers every declared metric of the class on `registry`, in declaration order."""

    def __init__(self, registry: CollectorRegistry, *, role: str = "") -> None:
        self.registry = registry
        built: dict[str, Any] = {}
        for klass in reversed(type(self).__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Declared):
                    built[attr] = value.build(registry, role)
        vars(self).update(built)


class ScrapedGauge(Collector):
    """A gauge family `name{label}` whose samples `read()` gives at scrape time."""

    def __init__(
        self,
        name: str,
        doc: str,
        read: Callable[[], Mapping[str, float]],
        label: str = "endpoint",
    ) -> None:
        self.name = name
        self.doc = doc
        self.read = read
        self.label = label

    def describe(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, self.doc, labels=[self.label])

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.doc, labels=[self.label])
        for value, sample in sorted(self.read().items()):
            family.add_metric([value], sample)
        yield family
