"""The database layer, one job a module:

- engines.py: Piccolo's engine from the settings, opened and closed with each served
  worker; PostgreSQL's pool, entered first come, first served; health pings.
- sqlite.py: what SQLite needs beside Piccolo's engine: a reader and a kept writer
  connection, and the turn that worker processes take to write.
- transactions.py: `transactional`, the one write-transaction helper, with its retries,
  and which failures count as transient or as the database being unreachable.
- sql.py: `fetch` for the written-out statements each slice's queries.py keeps.
- migrations.py: `migrate`, under a lock that several processes can share safely.
"""
