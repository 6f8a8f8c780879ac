import pytest

from duban.extraction import ExtractionError, load_areas
from duban.extraction.areas import default_areas, parse_areas

SPEC_AREAS = ["经济发展", "科技创新", "乡村振兴", "区域协同", "城乡建设", "疫情防控", "安全生产", "信访稳定",
              "生态环境", "民生实事", "食品安全", "党的建设", "安全稳定", "其他"]


def test_default_list_is_the_spec_list():
    assert list(default_areas().names) == SPEC_AREAS
    assert default_areas().fallback == "其他"


@pytest.mark.parametrize("text, area", [
    ("要守牢安全生产生命线", "安全生产"),  # the longer keyword beats 安全 of 安全稳定
    ("严把食品加工质量关口", "食品安全"),
    ("持续推进大气污染治理", "生态环境"),
    ("扎实做好信访工作", "信访稳定"),
    ("深化理想信念教育，严格家风家教", "党的建设"),
    ("提高办事效率", "其他"),
])
def test_classify(text, area):
    assert default_areas().classify(text) == area


def test_custom_list_replaces_the_default(tmp_path):
    path = tmp_path / "areas.toml"
    path.write_text('fallback = "杂项"\n[[area]]\nname = "教育"\nkeywords = ["学校", "教师"]\n'
                    '[[area]]\nname = "杂项"\nkeywords = []\n', encoding="utf-8")
    areas = load_areas(path)
    assert areas.classify("加强学校管理") == "教育"
    assert areas.classify("抓好安全生产") == "杂项"


def test_malformed_list_is_a_typed_error(tmp_path):
    with pytest.raises(ExtractionError):
        parse_areas({"area": [{"keywords": []}]})
    path = tmp_path / "bad.toml"
    path.write_text("[[area]\n", encoding="utf-8")
    with pytest.raises(ExtractionError) as caught:
        load_areas(path)
    assert caught.value.code == "bad_areas"
