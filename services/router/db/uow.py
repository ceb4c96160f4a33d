"""The router's unit of work: one transaction with its outbox, its clock and its two repositories.

`uow.conversations` (contacts, conversations, messages, applied commands) and `uow.staffing`
(agents' state, the queue) are SQL on the transaction's connection; the handlers reach the
database only through them (or `uow.conn` for the few paths without a fake yet: presence
reports, reopen, consent, surveys sent), so unit tests run the handlers on a fake.
"""

from services.router.db.conversations import Conversations
from services.router.db.staffing import Staffing
from shared.outbox import OutboxTable
from shared.uow import UnitOfWork

OUTBOX = OutboxTable("outbox", "router", pruned_with=(("applied_commands", "applied_at"),))


class RouterUnitOfWork(UnitOfWork):
    conversations: Conversations
    staffing: Staffing

    def _enter(self) -> None:
        self.conversations = Conversations(self.conn, self.now)
        self.staffing = Staffing(self.conn, self.now)
