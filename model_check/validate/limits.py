"""The constants of a validation: bounds, tolerances, the keys of a log, the error a bad
log gives, and the bound on the search's caches."""

from __future__ import annotations

from typing import Any

Json = Any

#: A float agrees with an exact value within this, relative (impl/refinement/tolerance.py's).
TOLERANCE = 1e-8
#: The default bound on the nodes a validation visits.
MAX_STATES = 1_000_000
#: The longest line read.
MAX_LINE = 1_000_000
#: Candidates diagnosed in an `unexplained` verdict.
SHOWN = 3
#: Argument names read as others (the seed's field names for the spec's).
ALIASES = {"agent_id": "agent"}
#: The keys of a log line.
LINE_KEYS = ("event", "args", "agent", "observe", "receive", "clock", "session")
META_KEYS = ("protocol", "params", "agents", "logged", "silent", "receipts")


class LogError(ValueError):
    """A log that cannot be validated: one line naming the place and the problem."""


#: Entries a cache of the search holds before it is emptied.
CACHE_LIMIT = 200_000


def bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    """`cache`, emptied first when it holds `CACHE_LIMIT` entries."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    return cache
