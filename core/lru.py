"""A bounded mapping for per-guild (and per-channel) memory: the least recently used entry goes first.

A process serving a thousand guilds keeps little bits per guild (a copy of its configuration, a cooldown, a
"this bank is seeded" mark). Each is cheap to rebuild from the database and harmless to forget, so none needs
to live forever: bounded by `CACHE_SIZE` (config/settings.py), memory stays flat however many guilds come and
go, and the guilds in use stay in. No discord import.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `maxsize` entries; reading or writing one makes it the most recent."""

    def __init__(self, maxsize: int, *, default: Callable[[], V] | None = None) -> None:
        if maxsize < 1:
            raise ValueError("an LRU needs room for at least one entry")
        self.maxsize = maxsize
        self._default = default  # like defaultdict: `lru[key]` makes the entry when it is missing
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        try:
            value = self._data[key]
        except KeyError:
            return default
        self._data.move_to_end(key)
        return value

    def __getitem__(self, key: K) -> V:
        try:
            value = self._data[key]
        except KeyError:
            if self._default is None:
                raise
            value = self._default()
            self[key] = value
            return value
        self._data.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __delitem__(self, key: K) -> None:
        del self._data[key]

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._data.pop(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._data))

    def clear(self) -> None:
        self._data.clear()


class LRUSet(Generic[K]):
    """A set of at most `maxsize` members, the least recently added or checked forgotten first."""

    def __init__(self, maxsize: int) -> None:
        self._map: LRU[K, None] = LRU(maxsize)

    def add(self, key: K) -> None:
        self._map[key] = None

    def discard(self, key: K) -> None:
        self._map.pop(key)

    def __contains__(self, key: object) -> bool:
        if key in self._map:
            self._map.get(key)  # type: ignore[arg-type]
            return True
        return False

    def __len__(self) -> int:
        return len(self._map)
