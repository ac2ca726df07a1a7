"""Pairs worth a look: an inverted index over code fingerprints (only pairs that share one
are ever counted, so 1,000 submissions take seconds), groups of equal architectures and
equal predictions, ranked rows and clusters of three or more."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from grader.similarity.code import Code

LIST_AT = 0.3  # code similarity from which a pair is listed
FLAG_AT = 0.6  # code similarity from which a pair is flagged (strong evidence)
MIN_FINGERPRINTS = 15  # the smallest denominator: a few shared lines never score high
COMMON_AT_LEAST = 10  # a fingerprint, architecture or prediction hash in more submissions
COMMON_SHARE = 0.05  # than this (or this share of the class) is an idiom, not evidence


@dataclass(frozen=True)
class Entry:
    """One submission: its code (None when there is none to read) and model signals
    (None when unknown: not graded, failed, or graded before they were stored)."""

    id: str
    code: Code | None
    architecture: str | None = None
    predictions: str | None = None
    layers: int | None = None
    earlier: bool = False  # from --against: compared with the class, not among themselves


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    code_similarity: float | None  # None: one side has no code
    shared: int  # fingerprints both have (template, starter and idioms left out)
    fingerprints_a: int
    fingerprints_b: int
    same_architecture: bool | None  # None: unknown for one side
    same_predictions: bool | None
    flagged: bool
    cluster: int | None = None

    @property
    def signals(self) -> int:
        """How many signals agree: the first sort key."""
        code = (self.code_similarity or 0) >= FLAG_AT
        return int(code) + int(bool(self.same_architecture)) + int(bool(self.same_predictions))


@dataclass(frozen=True)
class Common:
    """A signal shared by too many submissions to be evidence (a tutorial's model)."""

    kind: str  # "architecture" or "predictions"
    members: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    pairs: list[Pair]
    clusters: list[tuple[str, ...]]  # cluster n is clusters[n - 1]
    common: list[Common]
    common_fingerprints: int  # fingerprints left out as idioms
    submissions: int


def common_limit(n: int) -> int:
    """More submissions than this sharing something makes it an idiom."""
    return max(COMMON_AT_LEAST, math.ceil(COMMON_SHARE * n))


def _comparable(x: Entry, y: Entry) -> bool:
    return not (x.earlier and y.earlier)


def _shared_counts(entries: Sequence[Entry], limit: int) -> tuple[dict, set[int]]:
    """Shared fingerprints per pair of indices, through the inverted index."""
    postings: dict[int, list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        if e.code is not None:
            for h in e.code.fingerprints:
                postings[h].append(i)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    common: set[int] = set()
    for h, holders in postings.items():
        if len(holders) > limit:
            common.add(h)
        elif len(holders) > 1:
            for pair in combinations(holders, 2):
                counts[pair] += 1
    return counts, common


def code_similarity(shared: int, size_a: int, size_b: int) -> float:
    """Shared fingerprints over the smaller set (at least MIN_FINGERPRINTS): 1.0 when one
    code is contained in the other, whatever the other adds."""
    return min(1.0, shared / max(min(size_a, size_b), MIN_FINGERPRINTS))


def _groups(entries: Sequence[Entry], attr: str, limit: int, common: list[Common]) -> set:
    """Pairs of indices with the same ``architecture`` or ``predictions``; groups over
    ``limit`` are idioms, noted in ``common``."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        if getattr(e, attr):
            groups[getattr(e, attr)].append(i)
    pairs = set()
    for members in groups.values():
        if len(members) > limit:
            common.append(Common(attr, tuple(sorted(entries[i].id for i in members))))
        else:
            pairs.update(combinations(members, 2))
    return pairs


def _same(x: str | None, y: str | None) -> bool | None:
    return None if x is None or y is None else x == y


def compare(entries: Sequence[Entry]) -> Found:
    """Every pair worth listing, most similar first, with clusters numbered."""
    limit = common_limit(len(entries))
    counts, common_hashes = _shared_counts(entries, limit)
    sizes = [len(e.code.fingerprints - common_hashes) if e.code else 0 for e in entries]
    common: list[Common] = []
    candidates = {
        (i, j) for (i, j), n in counts.items() if code_similarity(n, sizes[i], sizes[j]) >= LIST_AT
    }
    candidates |= _groups(entries, "architecture", limit, common)
    candidates |= _groups(entries, "predictions", limit, common)
    pairs = []
    for i, j in candidates:
        x, y = entries[i], entries[j]
        if not _comparable(x, y):
            continue
        both_code = x.code is not None and y.code is not None
        shared = counts.get((i, j), 0)
        sim = round(code_similarity(shared, sizes[i], sizes[j]), 3) if both_code else None
        same_predictions = _same(x.predictions, y.predictions)
        pairs.append(
            Pair(
                x.id,
                y.id,
                sim,
                shared,
                sizes[i],
                sizes[j],
                _same(x.architecture, y.architecture),
                same_predictions,
                (sim or 0) >= FLAG_AT or bool(same_predictions),
            )
        )
    pairs.sort(key=lambda p: (-p.signals, -(p.code_similarity or 0), p.a, p.b))
    clusters = _clusters(pairs)
    number = {member: n for n, group in enumerate(clusters, 1) for member in group}
    pairs = [replace(p, cluster=number.get(p.a)) if p.flagged else p for p in pairs]
    return Found(pairs, clusters, common, len(common_hashes), len(entries))


def _clusters(pairs: Sequence[Pair]) -> list[tuple[str, ...]]:
    """Connected components of three or more over flagged pairs, largest first."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p.flagged:
            parent[root(p.a)] = root(p.b)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        groups[root(x)].append(x)
    found = [tuple(sorted(g)) for g in groups.values() if len(g) >= 3]
    return sorted(found, key=lambda g: (-len(g), g))
