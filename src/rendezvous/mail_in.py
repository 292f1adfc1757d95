"""`rendezvous mail-in`: the SMTP (or LMTP) server that takes calendar apps' replies by
mail (mail.inbound) and applies them (mail.replies), with the database open."""

from __future__ import annotations

from rendezvous.core.db.engines import get_engine
from rendezvous.core.locks import KeyedLock
from rendezvous.mail import replies
from rendezvous.mail.inbound import ReplyHandler, serve
from rendezvous.settings import get_settings


def handler(answering: KeyedLock) -> ReplyHandler:
    async def apply(secret: str, calendar: bytes) -> None:
        await replies.apply(secret, calendar, answering)

    return ReplyHandler(get_settings().mail_domain, replies.knows, apply)


async def run(host: str, port: int, lmtp: bool) -> None:
    settings = get_settings()
    engine = get_engine()
    await engine.open(settings.db_pool_size)
    try:
        await serve(handler(KeyedLock(admit=max(1, settings.db_pool_size // 2))), host, port, lmtp)
    finally:
        await engine.close()
