"""FAQ retrieval: the shipped knowledge base, confidence, silence on chit-chat, messy text, KB files."""

import pytest
import yaml

from services.router.triage.category_rules import DATA_DIR
from services.router.triage.faq import THRESHOLD, load_kb
from shared.datafile import DataFileError
from tests.triage_corpus import corpus

pytestmark = pytest.mark.unit

KB = load_kb(None)
REQUIRED_TOPICS = {
    "password-reset",
    "card-bind",
    "card-unbind",
    "transfer-limits",
    "transfer-arrival",
    "fees",
    "refund",
    "loan-repayment",
    "loan-limit",
    "loan-application",
    "lost-phone",
    "change-phone",
    "real-name",
    "service-hours",
    "close-account",
    "top-up",
    "withdraw",
}


def found(text: str, kb=KB) -> str | None:
    match = kb.lookup(text)
    return match and match.id


def test_the_shipped_kb_covers_a_wallets_common_questions_in_both_languages():
    ids = [entry.id for entry in KB.entries]
    assert len(ids) >= 15 and set(ids) >= REQUIRED_TOPICS
    for entry in KB.entries:
        chinese = [q for q in entry.questions if any("\u4e00" <= c <= "\u9fff" for c in q)]
        english = [q for q in entry.questions if q.isascii()]
        assert len(chinese) >= 3 and len(english) >= 3, entry.id
        assert entry.answer.zh.strip() and entry.answer.en.strip()
        assert any("\u4e00" <= c <= "\u9fff" for c in entry.answer.zh), entry.id


def test_every_stored_phrasing_finds_its_own_entry():
    for entry in KB.entries:
        for question in entry.questions:
            match = KB.lookup(question)
            assert match is not None and match.id == entry.id, (question, match and match.id)


def test_every_faq_label_in_the_corpus_names_a_shipped_entry():
    ids = {entry.id for entry in KB.entries}
    assert {item.faq for item in corpus() if item.faq} <= ids
    assert sum(item.faq is None for item in corpus()) >= 30


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "hello",
        "你好",
        "在吗",
        "在不在",
        "asdf",
        "what's the weather",
        "今天天气怎么样",
        "谢谢",
        "ok",
        "👍",
        "123",
        "",
        "   ",
        "有个问题",
        "I have a question",
        "转账",
        "card",
        "account",
        "money",
    ],
)
def test_greetings_chit_chat_and_vague_messages_get_no_answer(text):
    assert KB.lookup(text) is None


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("how do i reset my pasword", "password-reset"),
        ("withdrawl to my bank account", "withdraw"),
        ("refund me pls", "refund"),
        ("transfr limit per day", "transfer-limits"),
        ("ＰＡＳＳＷＯＲＤ忘记了", "password-reset"),
        ("我的refund还没到账", "refund"),
        ("我的transfer没到账", "transfer-arrival"),
        ("手机丢了怎么冻结账户", "lost-phone"),
        ("咋绑银行卡", "card-bind"),
    ],
)
def test_typos_full_width_informal_and_mixed_messages_find_their_entry(text, entry):
    assert found(text) == entry


def test_scores_are_between_zero_and_one_and_rank_ignores_the_threshold():
    vague = KB.rank("转账")
    assert vague is not None and 0.0 < vague.score < THRESHOLD
    assert KB.lookup("转账") is None
    exact = KB.lookup("怎么绑定银行卡")
    assert exact is not None and 0.9 < exact.score <= 1.0
    assert exact.category == "payment" and "银行卡" in exact.answer_zh and "card" in exact.answer_en
    assert KB.rank("asdf qwerty") is None


def test_extra_words_around_a_question_keep_it_answerable():
    short = KB.lookup("提现要多久到账")
    chatty = KB.lookup("你好，请问一下提现要多久到账啊，急用，谢谢")
    assert short is not None and chatty is not None and short.id == chatty.id == "withdraw"


def test_a_higher_threshold_claims_less():
    strict, chatty = load_kb(None, threshold=0.9), "你好，请问一下提现要多久到账啊，急用，谢谢"
    assert KB.lookup(chatty) is not None and strict.lookup(chatty) is None
    assert strict.rank(chatty) == KB.rank(chatty)
    assert strict.lookup("提现要多久到账") is not None


def test_none_and_empty_path_load_the_shipped_kb():
    assert load_kb("") == load_kb(None) == KB
    assert (DATA_DIR / "faq.yaml").is_file()


def write(tmp_path, document) -> str:
    path = tmp_path / "faq.yaml"
    path.write_text(
        document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    return str(path)


def test_a_custom_kb_file_replaces_the_default(tmp_path):
    entry = {
        "id": "red-packet",
        "category": "feature",
        "questions": ["怎么发红包", "红包怎么领", "how do I send a red packet", "claim a red envelope"],
        "answer": {"zh": "在聊天里点“+”选择红包。", "en": "Tap + in a chat and choose Red packet."},
    }
    kb = load_kb(write(tmp_path, [entry]))
    assert found("红包怎么发给朋友", kb) == "red-packet"
    assert found("how do i reset my password", kb) is None
    assert kb.lookup("how do I send a red packet").answer_en == entry["answer"]["en"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("- id: a\n  questions: [x\n", "not valid YAML"),
        ({"id": "a"}, "Expected `array`"),
        (
            [{"id": "a", "category": "payment", "questions": ["x y"], "answer": {"zh": "好"}}],
            "missing required field `en`",
        ),
        ([{"id": "a", "category": "shopping", "questions": ["x y"], "answer": {"zh": "z", "en": "e"}}], "Invalid enum"),
        ([{"id": "a", "category": "payment", "questions": [], "answer": {"zh": "z", "en": "e"}}], "no questions"),
        ([{"id": "a", "category": "payment", "questions": ["x y"], "answer": {"zh": "z", "en": "e"}}] * 2, "unique"),
        (
            [{"id": "a", "category": "payment", "questions": ["x"], "answer": {"zh": "z", "en": "e"}, "extra": 1}],
            "extra",
        ),
    ],
)
def test_a_malformed_kb_file_is_refused_naming_the_file(tmp_path, document, expected):
    path = write(tmp_path, document)
    with pytest.raises(DataFileError) as caught:
        load_kb(path)
    assert path in str(caught.value) and expected in str(caught.value)
