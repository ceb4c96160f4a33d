"""WeChat callbacks as WeChat's servers send them, built with wechatpy's own crypto."""

import secrets
import time
from xml.sax.saxutils import escape

from wechatpy.crypto import WeChatCrypto

from services.wechat_adapter.crypto import sign
from shared.config import WeChatAccount

AES_KEY = "3ZsMratbiCIOLFJk7luI0sIG9TUnaHv3ZmiyDyieav0"
"""A random key: the one in WeChat's documentation is refused as a placeholder outside development."""
OFFICIAL_ID = "gh_10f6c3c3ac5a"


def account(mode: str = "safe", name: str = "wallet", **extra) -> WeChatAccount:
    fields = {
        "name": name,
        "app_id": f"wx{name}0001",
        "app_secret": f"secret-{name}",
        "token": "relaydeskToken1",
        "aes_key": AES_KEY if mode != "plain" else "",
        "mode": mode,
    }
    return WeChatAccount(**fields | extra)


def message_xml(openid: str, msg_type: str, create_time: int | None = None, **fields: str) -> str:
    """A callback document: `fields` become elements (CDATA for text, as WeChat writes them)."""
    create_time = int(time.time()) if create_time is None else create_time
    body = "".join(
        f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>" for k, v in fields.items()
    )
    return (
        f"<xml><ToUserName><![CDATA[{OFFICIAL_ID}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}</xml>"
    )


def text_xml(openid: str, content: str, msg_id: int, create_time: int | None = None) -> str:
    return message_xml(openid, "text", create_time, Content=content, MsgId=msg_id)


def event_xml(openid: str, event: str, create_time: int | None = None, **fields) -> str:
    return message_xml(openid, "event", create_time, Event=event, **fields)


def callback(account: WeChatAccount, xml: str, *, timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
    """(query, body) of the POST WeChat makes for `xml` to this account, in its mode."""
    timestamp, nonce = (
        timestamp or str(int(time.time())),
        str(secrets.randbelow(10**16)),
    )  # unique enough that no two callbacks of a run share one
    query = {
        "signature": sign(account.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": "o" + secrets.token_hex(6),
    }
    if account.mode == "plain":
        return query, xml.encode()
    sealed = WeChatCrypto(account.token, account.aes_key, account.app_id).encrypt_message(xml, nonce, timestamp)
    encrypted = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    query |= {"encrypt_type": "aes", "msg_signature": sign(account.token, timestamp, nonce, encrypted)}
    if account.mode == "safe":
        return (
            query,
            f"<xml><ToUserName><![CDATA[{OFFICIAL_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode(),
        )
    # Compatible mode: WeChat sends the plaintext fields and the ciphertext side by side.
    return query, xml.replace("</xml>", f"<Encrypt><![CDATA[{escape(encrypted)}]]></Encrypt></xml>").encode()


def open_reply(account: WeChatAccount, body: str) -> str:
    """The reply XML inside a passive reply, decrypted with wechatpy as WeChat would."""
    if account.mode == "plain":
        return body

    def between(start: str, end: str) -> str:
        return body.split(start)[1].split(end)[0]

    return WeChatCrypto(account.token, account.aes_key, account.app_id).decrypt_message(
        body, between("<MsgSignature><![CDATA[", "]]>"), between("<TimeStamp>", "<"), between("<Nonce><![CDATA[", "]]>")
    )
