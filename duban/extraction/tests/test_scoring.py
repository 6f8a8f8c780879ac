"""The extractor against every hand-made gold file, with the thresholds of the issue; and the scorer itself."""

import pytest

from duban.extraction import extract_file
from duban.extraction.tests.golds import gold_params, load, resolve
from duban.extraction.tests.scoring import (
    match_spans, overlap_ratio, score_directives, score_headings, score_phrases,
)

MIN_F1 = 0.95
MIN_AREA_ACCURACY = 0.90


@pytest.mark.parametrize("param", gold_params())
def test_extraction_meets_the_gold(param):
    for gold_path in resolve(param):
        gold, source = load(gold_path)
        result = extract_file(source, year=gold.get("year")).to_dict()
        directives = score_directives(result["directives"], gold["directives"])
        headings = score_headings(result["headings"], gold["headings"])
        assert directives.f1 >= MIN_F1, (gold_path.name, directives.precision, directives.recall)
        assert directives.area_accuracy >= MIN_AREA_ACCURACY, gold_path.name
        assert headings.true_positives == len(gold["headings"]), gold_path.name  # finds every heading
        assert result["source"]["sha256"] == gold["sha256"]
        if "encoding" in gold:
            assert result["source"]["encoding"] == gold["encoding"]


@pytest.mark.parametrize("param", gold_params())
def test_meeting_facts_match_the_gold(param):
    for gold_path in resolve(param):
        gold, source = load(gold_path)
        result = extract_file(source, year=gold.get("year")).to_dict()
        assert result["meeting"] == gold["meeting"], gold_path.name


@pytest.mark.parametrize("param", gold_params())
def test_deadlines_match_the_gold(param):
    for gold_path in resolve(param):
        gold, source = load(gold_path)
        predicted = extract_file(source, year=gold.get("year")).to_dict()["directives"]
        score = score_directives(predicted, gold["directives"])
        wrong = [gold["directives"][j]["text"][:20] for i, j in score.matched
                 if predicted[i]["deadline"] != gold["directives"][j].get("deadline")]
        assert wrong == [], gold_path.name


@pytest.mark.parametrize("param", gold_params())
def test_phrases_match_the_gold(param):
    for gold_path in resolve(param):
        gold, source = load(gold_path)
        phrases = score_phrases(extract_file(source).to_dict()["phrases"], gold["phrases"])
        assert phrases.recall >= 0.95 and phrases.precision >= 0.95, gold_path.name


def test_overlap_is_intersection_over_union():
    assert overlap_ratio((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert overlap_ratio((0, 10), (10, 20)) == 0.0
    assert overlap_ratio((0, 10), (0, 10)) == 1.0


def test_matching_is_one_to_one_and_needs_half_the_union():
    # Two predictions over one gold span: only the better one matches.
    assert match_spans([(0, 10), (0, 9)], [(0, 10)]) == [(0, 0)]
    # 4 shared characters of a union of 10 is below the bar.
    assert match_spans([(0, 4)], [(0, 10)]) == []
    assert match_spans([(0, 5)], [(0, 10)]) == [(0, 0)]


def test_directive_score_counts_f1_and_areas():
    gold = [{"start": 0, "end": 10, "areas": ["经济发展"]}, {"start": 10, "end": 20, "areas": ["党的建设"]}]
    predicted = [{"start": 0, "end": 10, "area": "经济发展"}, {"start": 10, "end": 20, "area": "其他"},
                 {"start": 30, "end": 40, "area": "其他"}]
    score = score_directives(predicted, gold)
    assert (score.precision, score.recall) == (pytest.approx(2 / 3), 1.0)
    assert score.f1 == pytest.approx(0.8)
    assert score.area_accuracy == 0.5


def test_heading_and_phrase_scores():
    gold = [{"start": 5, "end": 16, "area": "安全生产"}]
    assert score_headings([{"start": 5, "end": 16, "area": "安全生产"}], gold).area_right == 1
    assert score_headings([], gold).recall == 0.0
    phrases = score_phrases([{"text": "两山", "start": 3, "end": 5}], [{"text": "两山", "start": 3, "end": 5},
                                                                    {"text": "双碳", "start": 9, "end": 11}])
    assert (phrases.precision, phrases.recall) == (1.0, 0.5)
