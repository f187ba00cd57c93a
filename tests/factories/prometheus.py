"""A strict reader of the Prometheus text exposition format (version 0.0.4), for /metrics tests:
every line must be a HELP, a TYPE or a sample of a declared family; histogram buckets must be
cumulative and end in +Inf equal to _count; no series may repeat."""

from __future__ import annotations

import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|Inf)|NaN"
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? ({VALUE})$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')

Series = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> tuple[dict[str, str], dict[Series, float]]:
    """(family name -> type, (sample name, labels) -> value)."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    types: dict[str, str] = {}
    samples: dict[Series, float] = {}
    for number, line in enumerate(text[:-1].split("\n"), 1):
        if match := TYPE.match(line):
            assert match[1] not in types, f"line {number}: TYPE of {match[1]} again"
            types[match[1]] = match[2]
            continue
        if HELP.match(line):
            continue
        match = SAMPLE.match(line)
        assert match, f"line {number} is not in the exposition format: {line!r}"
        name, labels = match[1], frozenset(PAIR.findall(match[2] or ""))
        family = _family(name, types)
        assert family is not None, f"line {number}: {name} has no TYPE before it"
        series = (name, labels)
        assert series not in samples, f"line {number}: {series} repeated"
        samples[series] = float(match[3].replace("Inf", "inf"))
    _check_histograms(types, samples)
    return types, samples


def _family(name: str, types: dict[str, str]) -> str | None:
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and types.get(base) == "histogram":
            return base
    return None


def _check_histograms(types: dict[str, str], samples: dict[Series, float]) -> None:
    for family in (name for name, kind in types.items() if kind == "histogram"):
        groups: dict[frozenset, list[tuple[float, float]]] = {}
        for (name, labels), value in samples.items():
            if name == f"{family}_bucket":
                le = dict(labels)["le"]
                groups.setdefault(frozenset(p for p in labels if p[0] != "le"), []).append((float(le), value))
        for labels, buckets in groups.items():
            buckets.sort()
            counts = [count for _, count in buckets]
            assert counts == sorted(counts), f"{family} {labels}: buckets not cumulative"
            assert math.isinf(buckets[-1][0]), f"{family} {labels}: no +Inf bucket"
            assert samples[(f"{family}_count", labels)] == counts[-1]
            assert (f"{family}_sum", labels) in samples


def value(samples: dict[Series, float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]
