"""What a long-running process does once its start-up is over: the objects it built to stay
(models, vocabularies, indexes, routes) are moved out of the cyclic garbage collector's sight.

A full collection walks every tracked object. After start-up that is some 350,000 objects that
live as long as the process, and a full pass over them holds the event loop for 0.2-0.5 s: every
request in flight at that moment waits. ``gc.freeze()`` puts them in a permanent generation the
collector never walks, so a full pass only sees what was made since. Only a process's entry
point asks for it (``open_runtime(serving=True)``): a test process that opens many runtimes
must not freeze what it later drops.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass


@dataclass(frozen=True)
class Settled:
    frozen: int
    """Objects moved out of the collector's sight."""
    tracked: int
    """Objects the collector still walks."""


def settle() -> Settled:
    """Collect what start-up left behind, then freeze what remains."""
    gc.collect()
    gc.freeze()
    return Settled(frozen=gc.get_freeze_count(), tracked=len(gc.get_objects()))
