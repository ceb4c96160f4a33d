"""Only what the customer newly wrote: each client's quoting, signatures and footers cut, forwards kept."""

import pytest

from services.email_adapter.quotes import strip_quoted

pytestmark = pytest.mark.unit

NEW = "我的提现还没到账，订单号 W20240602。"


@pytest.mark.parametrize(
    "history",
    [
        # Gmail, English and Chinese, one line and wrapped
        "On Mon, 3 Jun 2024 at 10:00, Relaydesk Support <support@relaydesk.example> wrote:\n> 您好\n> 请提供订单号",
        "On Mon, Jun 3, 2024 at 10:00 AM Relaydesk Support <\nsupport@relaydesk.example> wrote:\n\n> Dear customer",
        "Relaydesk 客服 <support@relaydesk.example> 于2024年6月3日周一 10:00写道：\n\n> 您好",
        "Relaydesk 客服 <support@relaydesk.example> 于2024年6月3日周一\n10:00写道：\n> 您好",
        # NetEase and Apple Mail
        "在 2024年6月3日，Relaydesk客服 写道：\n> 您好",
        '在 2024-06-03 10:00:00，"Relaydesk客服" <support@relaydesk.example> 写道：\n> 您好',
        'At 2024-06-03 10:00:00, "Relaydesk Support" wrote:\n> Dear customer',
        "On 3 Jun 2024, at 10:00, Relaydesk Support <support@relaydesk.example> wrote:\n\n> Dear customer",
        "2024年6月3日 10:00，Relaydesk 客服 <support@relaydesk.example> 写道：\n\n> 您好",
        # Outlook: separator line, a rule over a header block, a bare header block
        "-----Original Message-----\nFrom: Relaydesk Support\nSent: Monday, June 3, 2024 10:00 AM\nSubject: x\n\nold",
        "-----邮件原件-----\n发件人: Relaydesk 客服\n发送时间: 2024年6月3日 10:00\n主题: x\n\nold",
        "________________________________\nFrom: Relaydesk Support <support@relaydesk.example>\n"
        "Sent: Monday\nTo: me\n\nold",
        "________________________________\n发件人: Relaydesk 客服 <support@relaydesk.example>\n"
        "发送时间: 2024年6月3日 16:05\n收件人: 黄丽\n主题: 提现失败\n\n您好，请确认银行卡",
        "From: Relaydesk Support <support@relaydesk.example>\nSent: Monday, June 3, 2024 10:00\n"
        "To: me\nSubject: x\nold",
        "发件人: Relaydesk 客服\n时间: 2024年6月3日 10:00\n收件人: 我\n主题: x\n旧内容",
        # Foxmail / QQ Mail, in text/plain (literal &nbsp;) and from HTML (no-break spaces)
        '------------------ 原始邮件 ------------------\n发件人: "Relaydesk客服"<support@relaydesk.example>;\n旧内容',
        "------------------&nbsp;原始邮件&nbsp;------------------\n发件人:&nbsp;x\n旧内容",
        "------------------&nbsp;Original&nbsp;------------------\nFrom: x\nold",
        "------------------\u00a0Original\u00a0------------------\nFrom: x\nold",
        # plain "> " quoting with no attribution at all
        "> 您好\n> 请提供订单号",
    ],
)
def test_each_clients_history_is_cut(history: str):
    assert strip_quoted(f"{NEW}\n\n{history}\n") == NEW


@pytest.mark.parametrize(
    "footer",
    [
        "发自我的iPhone",
        "发自我的 iPad",
        "从我的华为手机发送",
        "来自我的小米手机",
        "Sent from my iPhone",
        "Sent from my Huawei phone",
        "Get Outlook for iOS",
        "Get Outlook for Android",
        "Sent from Mail for Windows",
    ],
)
def test_phone_footers_end_the_new_text(footer: str):
    assert strip_quoted(f"{NEW}\n\n{footer}\n\n> On 3 Jun 2024, at 10:00, S <s@x.example> wrote:\n> old") == NEW


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_the_signature_is_cut(delimiter: str):
    assert strip_quoted(f"{NEW}\n{delimiter}\n张伟\nTel: 138 0013 8000\n") == NEW


def test_answers_written_between_quoted_lines_are_kept():
    text = (
        "See my answers below.\n\nOn Mon, 3 Jun 2024 at 10:00, S <s@x.example> wrote:\n> Which card?\n"
        "The Visa ending 4821.\n> When?\nYesterday at 18:30.\n"
    )
    assert strip_quoted(text) == "See my answers below.\n\nThe Visa ending 4821.\nYesterday at 18:30."


def test_history_pasted_without_quote_marks_under_an_attribution_is_cut():
    text = f"{NEW}\n\nOn Mon, 3 Jun 2024 at 10:00, S <s@x.example> wrote:\nDear customer, which card?\n"
    assert strip_quoted(text) == NEW


@pytest.mark.parametrize(
    "text",
    [
        "On 3 June I wrote: my card was charged twice.\nPlease refund one of them.",
        "I wrote:\nthe app says error 1023",
        "From: my bank account to my wallet, 500 yuan is missing.",
        "the fee was > 5 yuan\nand the limit < 100",
        "----------\nseparator lines of my own",
    ],
)
def test_the_customers_own_text_is_not_mistaken_for_history(text: str):
    assert strip_quoted(text) == text


def test_a_forward_keeps_the_forwarded_message_without_its_header_block():
    text = (
        "这封邮件是你们发的吗？\n\n---------- Forwarded message ---------\nFrom: Wallet Security <a@phish.example>\n"
        "Date: Mon, Jun 3, 2024 at 8:15 AM\nSubject: 账户异常\nTo: <me@example.com>\n\n"
        "请点击链接冻结账户\n> 引用\n-- \n安全中心"
    )
    assert strip_quoted(text) == (
        "这封邮件是你们发的吗？\n\n---------- Forwarded message ---------\n\n请点击链接冻结账户\n> 引用\n-- \n安全中心"
    )


@pytest.mark.parametrize("marker", ["-------- 转发的邮件 --------", "Begin forwarded message:", "开始转发的邮件："])
def test_other_forward_markers_keep_their_content(marker: str):
    text = f"看看这个\n\n{marker}\n\n发件人: 银行 <bank@bank.example>\n主题: 通知\n日期: 2024年6月3日\n\n您的卡已冻结"
    assert strip_quoted(text) == f"看看这个\n\n{marker}\n\n您的卡已冻结"


def test_netease_forward_headers_are_dropped():
    text = (
        '-------- 转发邮件信息 --------\n发件人："银行" <bank@bank.example>\n发送日期：2024-06-03 08:15:00\n'
        "收件人：me@163.com\n主题：冻结通知\n\n您的卡已冻结"
    )
    assert strip_quoted(f"看看\n\n{text}") == "看看\n\n-------- 转发邮件信息 --------\n\n您的卡已冻结"


def test_a_forward_without_a_clear_header_block_keeps_everything_after_the_marker():
    text = "---------- Forwarded message ---------\nFrom the bank today:\nyour card is frozen"
    assert strip_quoted(text) == text


def test_a_signature_before_a_forward_is_dropped_but_the_forward_kept():
    text = "please check\n-- \nZhang Wei\n\n---------- Forwarded message ---------\nFrom: a\nTo: b\n\nfrozen"
    assert strip_quoted(text) == "please check\n\n---------- Forwarded message ---------\n\nfrozen"


def test_a_forward_subject_turns_outlook_and_qq_separators_into_forwards():
    outlook = (
        "see below\n\n________________________________\nFrom: Bank <b@bank.example>\nSent: Monday\n"
        "Subject: FW\n\nfrozen"
    )
    qq = "看看\n\n------------------ 原始邮件 ------------------\n发件人: 银行\n发送时间: 6月3日\n主题: 通知\n\n已冻结"
    assert (strip_quoted(outlook), strip_quoted(outlook, forwarded=True)) == ("see below", "see below\n\nfrozen")
    assert strip_quoted(qq, forwarded=True) == "看看\n\n------------------ 原始邮件 ------------------\n\n已冻结"


@pytest.mark.parametrize(
    "text",
    [
        "> 只有引用\n> 没有新内容\n",
        "On Mon, 3 Jun 2024 at 10:00, S <s@x.example> wrote:\n> old",
        "-----Original Message-----\nFrom: a\nSent: b\nSubject: c\n\nold",
        "-- \nonly a signature",
    ],
)
def test_when_nothing_new_is_left_the_whole_text_is_returned(text: str):
    assert strip_quoted(text) == text.strip()


def test_windows_line_ends_and_blank_runs_are_normalized():
    assert strip_quoted(f"{NEW}\r\n\r\n\r\n\r\nsecond line\r\n\r\n> old\r\n") == f"{NEW}\n\nsecond line"
