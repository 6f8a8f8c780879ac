import pytest

from duban.extraction import ExtractionError, load_units
from duban.extraction.units import default_units

REQUIRED = ["市发改委", "市工信局", "市科技局", "市卫健委", "市应急管理局", "市信访局", "市生态环境局", "市市场监管局",
            "市农业农村局", "市交通运输局", "市住建局", "市公安局", "市教育局", "市民政局", "市商务局", "市外办",
            "市纪委监委", "市委组织部", "市委宣传部", "市委政法委", "市财政局", "市人社局", "市自然资源和规划局",
            "市水利局", "市文广旅局", "市城管局", "市数据局", "市医保局", "市退役军人事务局", "市国资委", "市统计局",
            "市审计局", "市税务局", "市消防救援支队", "市委网信办", "市委统战部", "市总工会", "团市委", "市妇联",
            "市残联", "市司法局", "市粮食和物资储备局", "各辖市区人民政府"]


def test_default_list_holds_the_typical_units_with_all_fields():
    units = default_units().units
    assert len(units) >= 40
    assert set(REQUIRED) <= {unit.name for unit in units}
    for unit in units:
        assert unit.full_name and unit.aliases and unit.keywords, unit.name


def test_one_lead_at_most_three_cooperating_each_with_its_reason():
    text = "要抓好疫情防控和安全生产，加强食品安全监管，深入排查信访矛盾，推动污染治理。"
    suggestions = default_units().suggest(text)
    assert [s.role for s in suggestions] == ["lead", "coop", "coop", "coop"]
    for suggestion in suggestions:
        assert suggestion.reason in text


def test_a_named_unit_leads():
    suggestions = default_units().suggest("要加强疫情防控，市应急管理局要会同有关部门开展检查。")
    assert (suggestions[0].name, suggestions[0].role, suggestions[0].reason) == ("市应急管理局", "lead", "市应急管理局")


def test_area_owner_leads_when_no_keyword_matches():
    suggestions = default_units().suggest("要提高办事效率。", "安全生产")
    assert [(s.name, s.role, s.reason) for s in suggestions] == [("市应急管理局", "lead", "安全生产")]
    assert default_units().suggest("要提高办事效率。", "其他") == ()


def test_units_file_replaces_the_default(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[unit]]\nname = "县教体局"\nfull_name = "县教育和体育局"\naliases = ["教体局"]\n'
                    'keywords = ["学校"]\nareas = []\n', encoding="utf-8")
    units = load_units(path)
    assert [s.name for s in units.suggest("要加强学校安全管理和疫情防控。")] == ["县教体局"]


def test_bad_units_file_is_a_typed_error(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[unit]]\naliases = ["x"]\n', encoding="utf-8")
    with pytest.raises(ExtractionError) as caught:
        load_units(path)
    assert caught.value.code == "bad_units"
    with pytest.raises(ExtractionError):
        load_units(tmp_path / "missing.toml")
