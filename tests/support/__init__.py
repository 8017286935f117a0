"""What the tests and ``bench/`` share: the Plaid double, the Experian stand-in, the browser
server, the AppTest helper, demo expectations, hostile text, frames, the pinned clock, Redis
servers and the canary scan of what Redis holds.

No tests live here; ``bench/`` may import this package and nothing else of ``tests``."""
