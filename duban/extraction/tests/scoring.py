"""Score an extraction against a hand-made gold file (docs/extraction.md).

A predicted and a gold item match when their spans overlap by at least half of their union; matching is one to
one, best overlaps first. Area accuracy counts a matched directive as right when its area is among the gold's
acceptable `areas`.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_OVERLAP = 0.5


class Rates:
    """Precision, recall and F1 of ``true_positives`` among ``predicted`` against ``gold`` (one file's score, or
    the pooled totals of many)."""

    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Score(Rates):
    true_positives: int
    predicted: int
    gold: int
    area_right: int
    matched: list  # (predicted index, gold index)

    @property
    def area_accuracy(self) -> float:
        return self.area_right / self.true_positives if self.true_positives else 0.0


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if inter > 0 and union > 0 else 0.0


def match_spans(predicted: list[tuple[int, int]], gold: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pairs = sorted(((overlap_ratio(p, g), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)
                    if overlap_ratio(p, g) >= MIN_OVERLAP), reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    matched = []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            matched.append((i, j))
    return sorted(matched)


def score_directives(predicted: list[dict], gold: list[dict]) -> Score:
    matched = match_spans([(d["start"], d["end"]) for d in predicted], [(d["start"], d["end"]) for d in gold])
    area_right = sum(1 for i, j in matched if predicted[i]["area"] in gold[j]["areas"])
    return Score(len(matched), len(predicted), len(gold), area_right, matched)


def score_headings(predicted: list[dict], gold: list[dict]) -> Score:
    matched = match_spans([(h["start"], h["end"]) for h in predicted], [(h["start"], h["end"]) for h in gold])
    area_right = sum(1 for i, j in matched if predicted[i]["area"] == gold[j]["area"])
    return Score(len(matched), len(predicted), len(gold), area_right, matched)


def score_phrases(predicted: list[dict], gold: list[dict]) -> Score:
    keys = lambda items: {(p["start"], p["end"], p["text"]) for p in items}  # noqa: E731 - tiny local helper
    both = keys(predicted) & keys(gold)
    return Score(len(both), len(keys(predicted)), len(keys(gold)), len(both), [])
