"""`relaydesk classify` as a filter: JSON lines out for message lines in, custom files, clear errors."""

import json
import os
import select
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

FIELDS = ["category", "priority", "language", "faq_id", "faq_score", "self_service"]
RED_PACKET_KB = (
    "- id: 红包\n  category: feature\n  questions: [怎么发红包, 红包怎么领, how do I send a red packet]\n"
    "  answer: {zh: 在聊天里点“+”选择红包。, en: Tap + in a chat and choose Red packet.}\n"
)


def environ(**overrides: str) -> dict[str, str]:
    """This process's environment without any RELAYDESK_ setting, plus `overrides`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("RELAYDESK_")}
    return clean | overrides


def classify(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", "classify", *args],
        input=stdin.encode(),
        env=env or environ(),
        capture_output=True,
        timeout=60,
    )


def lines(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_one_json_object_per_message_line_with_the_documented_fields():
    messages = ["我的transfer没到账", "", "how do i reset my pasword", "   ", "你好", "我的账号被盗了！！！", "hi"]
    out = lines(classify(stdin="\n".join(messages) + "\n"))
    assert len(out) == 5  # blank lines are skipped
    assert all(list(item) == FIELDS for item in out)
    transfer, password, hello, stolen, hi = out
    assert (transfer["category"], transfer["language"], transfer["faq_id"]) == ("transaction", "zh", "transfer-arrival")
    assert (password["language"], password["faq_id"], password["self_service"]) == ("en", "password-reset", True)
    assert (stolen["category"], stolen["priority"], stolen["self_service"]) == ("security", "urgent", False)
    for chit_chat in (hello, hi):
        assert (chit_chat["faq_id"], chit_chat["faq_score"], chit_chat["self_service"]) == (None, 0.0, False)
    assert all(
        isinstance(item["faq_score"], float) and round(item["faq_score"], 3) == item["faq_score"] for item in out
    )


def test_crlf_and_a_last_line_without_newline_are_read():
    assert len(lines(classify(stdin="怎么提现\r\nhow do I top up"))) == 2


def test_custom_kb_and_rules_files_replace_the_defaults(tmp_path):
    kb, rules = tmp_path / "faq.yaml", tmp_path / "rules.yaml"
    kb.write_text(RED_PACKET_KB, encoding="utf-8")
    rules.write_text("categories:\n  loan: {花呗: 4}\nself_service: [feature]\n", encoding="utf-8")
    result = classify("--kb", str(kb), "--rules", str(rules), stdin="怎么发红包给朋友\n花呗怎么还\n")
    packet, loan = lines(result)
    assert (packet["faq_id"], packet["category"], packet["self_service"]) == ("红包", "other", False)
    assert loan["category"] == "loan"
    assert "红包".encode() in result.stdout and b"\\u" not in result.stdout  # raw UTF-8, not escapes


def test_the_files_default_to_the_settings(tmp_path):
    kb = tmp_path / "faq.yaml"
    kb.write_text(RED_PACKET_KB, encoding="utf-8")
    out = lines(classify(stdin="怎么发红包\n忘记密码了\n", env=environ(RELAYDESK_FAQ_KB=str(kb))))
    assert [item["faq_id"] for item in out] == ["红包", None]


@pytest.mark.parametrize(
    ("flag", "content", "expected"),
    [
        ("--rules", "categories: [unclosed\n", "not valid YAML"),
        (
            "--kb",
            "- id: x\n  category: nope\n  questions: [a b]\n  answer: {zh: a, en: b}\n",
            "Invalid enum value 'nope'",
        ),
        ("--kb", None, "cannot read"),
    ],
)
def test_a_bad_file_is_one_clear_line_and_exit_2(tmp_path, flag, content, expected):
    path = tmp_path / "broken.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = classify(flag, str(path), stdin="你好\n")
    stderr = result.stderr.decode()
    assert result.returncode == 2 and result.stdout == b""
    assert expected in stderr and str(path) in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_each_answer_is_flushed_before_the_next_line_arrives():
    process = subprocess.Popen(
        [sys.executable, "-m", "relaydesk.cli", "classify"],
        env=environ(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for message in ("怎么提现", "hello"):
            process.stdin.write(message.encode() + b"\n")
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, "no answer while stdin is still open"
            assert list(json.loads(process.stdout.readline())) == FIELDS
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
