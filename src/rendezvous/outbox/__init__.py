"""Durable side effects: what a change must cause (a mail, later a webhook delivery) is
written here in the change's own transaction, and a worker carries it out at least once.

Producers call `put`/`put_all`/`withdraw` (outbox.services) inside their transaction;
`outbox.worker.Worker` claims due items and hands each to the handler for its kind."""
