"""The router's data access: its unit of work and the repositories on it (conversations, staffing).

Handlers reach the database through `RouterUnitOfWork`; the few paths without a fake yet (presence
reports, reopen, consent, surveys sent, SLA breaches and warnings) still run their SQL on `uow.conn`."""
