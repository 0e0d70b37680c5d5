"""Gone in 0.2: the wire types are generated from PayerMax's schema into :mod:`payermax_async.types`.

Only :mod:`.notification` is left, for the one import that still names it (``dedup.py``).
"""
