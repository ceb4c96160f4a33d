"""Email ingest: 20 KB mails with one attachment through the SMTP door, against the broker ceiling.

The email adapter runs as its own process on a throwaway vhost and database. Concurrent
SMTP clients (aiosmtplib, one connection each, mails back to back) send for a fixed time;
the rate is printed beside the raw one-hop broker ceiling measured in the same run (1 KB
persistent messages, published and consumed), with the ratio. Then one 20 MB mail is sent
and the adapter's peak memory growth (VmHWM) is compared with the mail's size: the target
is that a message is not held more than twice in memory.

    .venv/bin/python bench/email_ingest.py [--seconds 8] [--clients 8]
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib

from bench.broker_ceiling import measure_ceiling
from bench.harness import (
    READY_TIMEOUT,
    Resources,
    ServiceProcess,
    add_server_arguments,
    free_port,
    require_local,
)
from bench.ingest import log
from shared.config import Settings
from shared.launch import SERVICES

SUPPORT = "support@wallet.example"
BODY = (
    "您好，我上周五从钱包提现到招商银行尾号 1234 的卡，至今未到账。订单号 2026112012345，"
    "金额 5,000.00 元。麻烦尽快帮我查一下，谢谢！\n"
) * 12


CUSTOMERS = 300
MESSAGE_ID = b"<rendered-once@bench.example>"
BOUNDARY = b"rendered-once-boundary"


def mail(n: int, attachment: bytes) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = f"customer{n % CUSTOMERS}@example.cn", SUPPORT
    message["Subject"], message["Message-ID"] = "提现未到账", make_msgid(domain="bench.example")
    message.set_content(BODY)
    message.add_attachment(attachment, maintype="application", subtype="pdf", filename="凭证.pdf")
    return message


def rendered(attachment: bytes) -> list[bytes]:
    """Each customer's mail rendered once: rendering per send cost the client ~2 ms of CPU a mail, on
    the cores it shares with the door. Every send gets a fresh Message-ID and MIME boundary, as real
    mail has (the parser compiles a pattern per boundary, which a repeated one would save)."""
    mails = []
    for n in range(CUSTOMERS):
        message = mail(n, attachment)
        message.replace_header("Message-ID", MESSAGE_ID.decode())
        message.set_boundary(BOUNDARY.decode())
        mails.append(message.as_bytes())
    return mails


def fresh(template: bytes) -> bytes:
    unique = uuid.uuid4().hex
    return template.replace(MESSAGE_ID, f"<{unique}@bench.example>".encode()).replace(BOUNDARY, unique.encode())


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))


async def sustained(port: int, clients: int, seconds: float) -> tuple[float, int, int]:
    """(mails/s, sent, refused) with `clients` connections sending back to back for `seconds`."""
    mails = rendered(os.urandom(13 * 1024))  # ~18 KB once base64-encoded: ~20 KB mails
    sent = refused = 0
    deadline = time.monotonic() + seconds

    async def client(number: int) -> None:
        nonlocal sent, refused
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
        await smtp.connect()
        n = number
        while time.monotonic() < deadline:
            try:
                await smtp.sendmail(f"customer{n % CUSTOMERS}@example.cn", [SUPPORT], fresh(mails[n % CUSTOMERS]))
                sent += 1
            except aiosmtplib.SMTPResponseException:
                refused += 1
            n += clients
        await smtp.quit()

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return sent / (time.monotonic() - started), sent, refused


async def run(args, resources: Resources) -> int:
    ceiling = await measure_ceiling(resources.create_vhost(), count=3000, rate=200, rate_seconds=2)
    amqp_url, database_url = resources.create_vhost(), await resources.create_database()
    ports = {setting: free_port() for setting in SERVICES.values()}
    smtp_port = free_port()
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        host="127.0.0.1",
        log_level="WARNING",
        email_smtp_port=smtp_port,
        email_addresses=SUPPORT,
        email_max_size=40 * 1024 * 1024,
        file_link_secret="bench-file-links-" + uuid.uuid4().hex,  # the adapter refuses to start without one
        **ports,
    )
    adapter = ServiceProcess(settings, ["email_adapter"]).spawn()
    resources.processes.append(adapter)
    await adapter.wait_ready(READY_TIMEOUT)
    log(
        f"{os.cpu_count()} cores; {args.clients} SMTP clients for {args.seconds:.0f}s; ~20 KB mails with one attachment"
    )
    rate, sent, refused = await sustained(smtp_port, args.clients, args.seconds)
    one_hop = ceiling["one_hop_msgs_per_s"]
    log(f"broker ceiling (one hop, 1 KB persistent): {one_hop:.0f} msg/s")
    log(
        f"SMTP door: {rate:.0f} mails/s ({sent} accepted, {refused} refused); ratio to the ceiling {rate / one_hop:.2f}"
    )

    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = "customer@example.cn", SUPPORT, "大附件"
    big["Message-ID"] = make_msgid(domain="bench.example")
    big.set_content("见附件")
    big.add_attachment(os.urandom(15 * 1024 * 1024), maintype="application", subtype="zip", filename="logs.zip")
    raw = big.as_bytes()
    before = peak_rss_kb(adapter.pid)
    await aiosmtplib.send(
        raw, sender="customer@example.cn", recipients=[SUPPORT], hostname="127.0.0.1", port=smtp_port, timeout=120
    )
    growth = (peak_rss_kb(adapter.pid) - before) / 1024
    size = len(raw) / 1024 / 1024
    log(
        f"one {size:.1f} MB mail: adapter peak memory grew {growth:.1f} MB = {growth / size:.2f}x the mail "
        f"(target <= 2x: {'met' if growth <= 2 * size else 'MISSED'})"
    )
    return 0 if refused == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    require_local(parser, args)
    resources = Resources(args.amqp_url, args.database_url)
    try:
        return asyncio.run(run(args, resources))
    finally:
        resources.cleanup()


if __name__ == "__main__":
    sys.exit(main())
