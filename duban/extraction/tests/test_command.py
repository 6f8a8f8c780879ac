"""The real command in a subprocess: `python -m duban.extraction`."""

import json
import os
import subprocess
import sys

import pytest

from duban.extraction.tests.golds import REPO_ROOT

TEXT = ("2022年9月29日，市委书记张三主持召开市委常委会会议，听取全市安全生产工作情况汇报。\n"
        "要守牢安全生产底线。要加强隐患排查整治，10月底前完成整改。要落实“四查一帮扶”。\n"
        "会议还研究了其他事项。\n")


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONIOENCODING": "ascii"}
    return subprocess.run([sys.executable, "-m", "duban.extraction", *map(str, args)], capture_output=True, env=env,
                          timeout=120)


def test_json_output(tmp_path):
    path = tmp_path / "communique.txt"
    path.write_bytes(TEXT.replace("\n", "\r\n").encode("gbk"))
    done = run(path, "--json")
    assert done.returncode == 0, done.stderr.decode("utf-8")
    assert done.stderr == b""
    data = json.loads(done.stdout.decode("utf-8"))
    assert data["source"]["encoding"] == "gb18030"
    assert data["source"]["chars"] == len(TEXT)
    assert data["meeting"]["date"] == "2022-09-29" and data["meeting"]["presider"] == "张三"
    assert [h["text"] for h in data["headings"]] == ["要守牢安全生产底线。"]
    assert [d["text"] for d in data["directives"]] == ["要加强隐患排查整治，10月底前完成整改。", "要落实“四查一帮扶”。"]
    assert data["directives"][0]["deadline"] == {"text": "10月底前", "date": "2022-10-31"}
    assert data["directives"][0]["heading"] == 0
    assert data["phrases"] == [{"text": "四查一帮扶", "start": TEXT.index("四查") , "end": TEXT.index("四查") + 5}]


def test_summary_and_year_option(tmp_path):
    path = tmp_path / "communique.txt"
    path.write_text(TEXT.replace("2022年", ""), encoding="utf-8")
    done = run(path, "--year", "2021")
    assert done.returncode == 0
    assert "2021-09-29" in done.stdout.decode("utf-8")
    assert "undated" not in done.stdout.decode("utf-8")
    without = run(path).stdout.decode("utf-8")  # no year anywhere: the summary says what it could not date
    assert "09-29" in without and "无法推算" in without and "10月底前" in without


def test_units_option_replaces_the_list(tmp_path):
    path = tmp_path / "communique.txt"
    path.write_text(TEXT, encoding="utf-8")
    units = tmp_path / "units.toml"
    units.write_text('[[unit]]\nname = "县安委办"\naliases = []\nkeywords = ["隐患"]\nareas = []\n', encoding="utf-8")
    data = json.loads(run(path, "--json", "--units", units).stdout.decode("utf-8"))
    assert data["directives"][0]["units"] == [{"name": "县安委办", "role": "lead", "reason": "隐患",
                                                  "written": None, "in_list": True}]


@pytest.mark.parametrize("name, content, words", [
    ("empty.txt", b"", "文件为空"),
    ("binary.txt", bytes(range(256)) * 8, "error:"),
    ("broken.docx", b"PK\x03\x04garbage", ".docx"),
    ("facts.txt", "会议指出，今年以来经济运行平稳。\n会议还研究了其他事项。\n".encode("utf-8"), "no directive"),
])
def test_bad_input_is_one_bilingual_line_and_exit_2(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    done = run(path)
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2
    assert stderr.count("\n") == 1 and stderr.startswith("错误：") and " / error: " in stderr
    assert words in stderr
    assert "Traceback" not in stderr


def test_missing_path_directory_and_oversize(tmp_path):
    assert run(tmp_path / "missing.txt").returncode == 2
    assert run(tmp_path).returncode == 2
    big = tmp_path / "big.txt"
    big.write_bytes(TEXT.encode("utf-8") * 20)
    done = run(big, "--max-mb", "0.001")
    assert done.returncode == 2 and "too large" in done.stderr.decode("utf-8").replace("larger than", "too large")
