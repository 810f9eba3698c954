"""SQLAlchemy's aiosqlite adapter with one trip to the driver's thread per statement.

aiosqlite runs sqlite3 in a thread of its own, and every call to it is a trip: the call is queued to the
thread, and its result comes back through the event loop. SQLAlchemy's adapter makes four trips per
statement (open a cursor, execute, fetch all, close), and the pool's reset makes one more after every
commit. On a busy loop each trip waits its turn behind everything else the loop is doing, and the
single SQLite writer is held for all of them, so trips, not SQLite, set the pace of writes under load
(docs/scale.md). This adapter runs execute, fetch and close as one function in the thread (one trip),
sends a transaction's BEGIN with its first statement, and skips the reset's ROLLBACK when no transaction
is open. Everything else (connections, errors,
isolation, the dialect) is SQLAlchemy's and aiosqlite's own.

Used by `storage.database.create_engines` through `create_async_engine(..., module=dbapi())`.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, list[Any], int, int | None]


def _run(raw: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool) -> Outcome:
    """In the driver's thread: the whole statement, from cursor to close (after the deferred BEGIN, if any)."""
    cursor = raw.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one trip; results are read from memory afterwards."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not super().__init__: that opens a driver cursor, which is a trip of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _one_trip(self, operation: str, parameters: Any, many: bool) -> Outcome:
        connection = cast("OneTripConnection", self._adapt_connection)
        async with connection._execute_mutex:
            begin, connection._deferred_begin = connection._deferred_begin, None
            return await self._connection._execute(_run, self._connection._conn, begin, operation, parameters, many)

    def _go(self, operation: str, parameters: Any, many: bool) -> None:
        if not many and operation.startswith("BEGIN"):
            # Sent with the transaction's first statement, in the same trip (see OneTripConnection).
            cast("OneTripConnection", self._adapt_connection)._deferred_begin = operation
            self._description, self._rows, self._rowcount = None, collections.deque(), -1
            return
        try:
            description, rows, self._rowcount, self._lastrowid = await_(self._one_trip(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description = description
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._go(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._go(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """The driver cursor is already closed; the rows stay buffered."""

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """A `BEGIN ...` is not sent on its own: it rides with the transaction's first statement, so a write of
    one statement is two trips (the statement, COMMIT), and a transaction that ran nothing costs none. If the
    BEGIN fails (the database stayed locked past the busy timeout), the error is raised by that first
    statement, inside the unit of work, which rolls back as for any other error."""

    __slots__ = ("_deferred_begin",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # mypy types the base attribute as exactly its class

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._deferred_begin: str | None = None

    def commit(self) -> None:
        if self._deferred_begin is not None:  # nothing ran: there is no transaction to commit
            self._deferred_begin = None
            return
        super().commit()

    def rollback(self) -> None:
        # The pool resets every connection it takes back with a ROLLBACK; after a COMMIT, or on an
        # autocommit reader, there is nothing to roll back, and asking costs a trip. `in_transaction` is
        # a flag read without the thread (the connection is opened with check_same_thread=False).
        self._deferred_begin = None
        raw = self._connection._connection
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        kw["check_same_thread"] = False
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy does: an unclosed connection never blocks exit
        return OneTripConnection(self, await_(connection))


def dbapi() -> OneTripDBAPI:
    """The DB-API module object to pass as `create_async_engine(..., module=...)`."""
    return OneTripDBAPI(aiosqlite, sqlite3)
