from duban.extraction.trie import KeywordTable


def test_leftmost_longest_non_overlapping():
    table = KeywordTable.build(["安全", "安全生产", "生产", "食品安全", ""])
    assert list(table.finditer("抓好安全生产和食品安全，安全第一")) == [
        (2, "安全生产"), (7, "食品安全"), (12, "安全")]


def test_empty_table_finds_nothing():
    assert list(KeywordTable.build([]).finditer("安全生产")) == []
