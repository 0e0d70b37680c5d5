"""Handled webhook notifications in PostgreSQL, shared by every replica of a service.

Behind a load balancer, two deliveries of one notification can reach two replicas at once; a
per-machine store (:class:`~payermax_async.dedup.SqliteSeenStore`) cannot see across them. This
store keeps the same rows in a table every replica reaches, and takes an event in one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE expired`` statement, so of two racing replicas
exactly one gets :attr:`Claim.NEW`. Times are the database server's clock, the one clock every
replica agrees on. Needs the ``postgres`` extra (psycopg).
"""

from __future__ import annotations

from typing import Any

from .dedup import Claim

__all__ = ["PostgresSeenStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payermax_seen (
    key     text PRIMARY KEY,
    done    boolean NOT NULL,
    expires timestamptz NOT NULL
)
"""

# One statement: a new key, or an expired one (a lease run out, a ttl passed), is taken; a live
# one is left alone and no row comes back.
_TAKE = """
INSERT INTO payermax_seen AS s (key, done, expires)
VALUES (%(key)s, %(done)s, now() + make_interval(secs => %(secs)s))
ON CONFLICT (key) DO UPDATE SET done = EXCLUDED.done, expires = EXCLUDED.expires
WHERE s.expires <= now()
RETURNING true
"""

_PURGE_EVERY = 1000


class PostgresSeenStore:
    """A :class:`~payermax_async.dedup.LeasingSeenStore` on a psycopg ``AsyncConnectionPool``.

    Build it with :meth:`connect` (it owns its pool, closed by :meth:`close`) or around a pool of
    your own (autocommit connections, left open). :meth:`setup` creates the table, once.
    """

    def __init__(self, pool: Any, *, owns_pool: bool = False) -> None:
        self._pool = pool
        self._owns_pool = owns_pool
        self._writes = 0

    @classmethod
    async def connect(cls, dsn: str, *, max_size: int = 4) -> PostgresSeenStore:
        from psycopg_pool import AsyncConnectionPool

        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            dsn, min_size=1, max_size=max_size, open=False, kwargs={"autocommit": True}
        )
        await pool.open()
        store = cls(pool, owns_pool=True)
        try:
            await store.setup()
        except BaseException:
            await pool.close()
            raise
        return store

    async def setup(self) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            # CREATE TABLE IF NOT EXISTS races with itself across replicas: serialise it
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('payermax_seen_install'))")
            await conn.execute(_SCHEMA)

    async def _take(self, key: str, done: bool, secs: float) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_TAKE, {"key": key, "done": done, "secs": secs})
            taken = await cur.fetchone() is not None
            self._writes += 1
            if self._writes % _PURGE_EVERY == 0:
                await conn.execute("DELETE FROM payermax_seen WHERE expires <= now()")
        return taken

    async def begin(self, key: str, lease: float) -> Claim:
        if await self._take(key, False, lease):
            return Claim.NEW
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT done FROM payermax_seen WHERE key = %s AND expires > now()", (key,)
            )
            row = await cur.fetchone()
        # gone since (its holder failed and released it): still "someone else's" this instant,
        # and PayerMax's re-send will find it free
        return Claim.DONE if row is not None and row[0] else Claim.IN_FLIGHT

    async def finish(self, key: str, ttl: float) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO payermax_seen (key, done, expires) "
                "VALUES (%s, true, now() + make_interval(secs => %s)) "
                "ON CONFLICT (key) DO UPDATE SET done = true, expires = EXCLUDED.expires",
                (key, ttl),
            )

    async def add(self, key: str, ttl: float) -> bool:
        return await self._take(key, True, ttl)

    async def discard(self, key: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM payermax_seen WHERE key = %s", (key,))

    async def close(self) -> None:
        if self._owns_pool:
            await self._pool.close()

    def __repr__(self) -> str:
        return "PostgresSeenStore()"
