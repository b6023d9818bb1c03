"""The queue engine: tickets, counters and ratings on a sqlite-utils Database. No Flask here.

Every function that changes state takes `(db, cfg, now, ...)`: it runs inside the caller's write
transaction (see `server.store.Store.write`), validates the transition, applies it, appends to the
audit log, and raises a `server.errors.QmsError` subclass, leaving the state unchanged, when the
transition is illegal.
"""
