"""Garbage-collector settings for processes that decode events by the thousand.

Decoding a batch allocates many short-lived containers, and with CPython's default threshold
(a collection every 700 allocations) the collector re-scans the batch still being decoded
over and over: about a third of a consumer's CPU on a backlog. MILE's events and projections
form no reference cycles of their own, so collecting less often frees the same memory (reference
counting frees nearly all of it) at a fraction of the cost.
"""

import gc

YOUNG_THRESHOLD = 500_000
"""Allocations of objects the collector tracks, less those freed, between collections of the
youngest generation (CPython's default: 700). A collection scans every young object still alive,
and a consumer's batch (up to ``consumer_max_records``, 2,000 events), as fetched and decoded,
holds some 40,000 to 60,000 while it waits to be applied and the next is decoded: at 50,000,
batches were scanned while alive, 13 % of placement's and matching's CPU on a backlog. Frees lower
the count, so a batch freed once applied undoes its own allocations; only what outlives it
(long-lived state, and garbage in reference cycles, which the subscriber takes care not to make)
brings a collection nearer."""


def settle_collector() -> None:
    """Collect less often, and leave what exists now (modules, settings, validators) out of every
    later collection: call once start-up is done."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
