"""At most so many questions a minute from one client, so one script cannot crowd out the rest.

A client is its API key when it sends one, else its address. The window slides: a question counts
for the 60 seconds after it was asked.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

WINDOW_S = 60.0
RATE_LIMITED = "För många frågor på kort tid. Vänta en stund och försök igen."


class RateLimiter:
    """`per_minute` questions per client in any 60 seconds; 0 = no limit."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.asked: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, client: str) -> bool:
        """Count a question from `client`; False (and not counted) when it is over the limit."""
        if self.per_minute <= 0:
            return True
        now = self.clock()
        recent = self.asked[client]
        while recent and recent[0] <= now - WINDOW_S:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        return True
