import codecs
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duban.extraction import ExtractionError, decode_bytes
from duban.extraction.decoding import read_path

TEXT = "会议强调，要抓好安全生产。\n要加快项目建设。\n"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),  # Python writes a BOM
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
])
def test_encodings_are_detected_and_reported(data, encoding):
    assert decode_bytes(data) == (TEXT, encoding)


def test_line_endings_become_newlines_and_nothing_else_changes():
    text, _ = decode_bytes("甲，乙。\r\n丙 丁。\r戊\u3000己。\n".encode("utf-8"))
    assert text == "甲，乙。\n丙 丁。\n戊\u3000己。\n"


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"  \n\r\n ", "empty"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_bad_bytes_raise_a_typed_error(data, code):
    with pytest.raises(ExtractionError) as caught:
        decode_bytes(data)
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en


def test_error_line_is_bilingual():
    error = ExtractionError("empty", "文件为空", "the file is empty")
    assert str(error) == "错误：文件为空 / error: the file is empty"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_extraction_error(data):
    try:
        text, encoding = decode_bytes(data)
    except ExtractionError:
        return
    assert encoding in ("utf-8", "gb18030", "utf-16")
    assert "\r" not in text


def test_missing_path_directory_and_size_limit(tmp_path):
    with pytest.raises(ExtractionError) as missing:
        read_path(tmp_path / "nope.txt")
    assert missing.value.code == "not_found"
    with pytest.raises(ExtractionError) as folder:
        read_path(tmp_path)
    assert folder.value.code == "is_directory"
    big = tmp_path / "big.txt"
    big.write_bytes("要".encode("utf-8") * 400)
    with pytest.raises(ExtractionError) as large:
        read_path(big, max_bytes=1000)
    assert large.value.code == "too_large"
    assert read_path(big, max_bytes=2000).text == "要" * 400


def test_docx_paragraphs_are_joined_by_newlines_and_carry_their_date(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("9月29日，市委召开常委会会议。")
    document.add_paragraph("要抓好安全生产。")
    document.core_properties.created = dt.datetime(2022, 9, 30, 8, 0)
    path = tmp_path / "minutes.docx"
    document.save(path)
    decoded = read_path(path)
    assert decoded.text == "9月29日，市委召开常委会会议。\n要抓好安全生产。"
    assert decoded.encoding == "docx"
    assert decoded.document_date == dt.date(2022, 9, 30)


def test_broken_docx_is_a_typed_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ExtractionError) as caught:
        read_path(path)
    assert caught.value.code == "bad_docx"
