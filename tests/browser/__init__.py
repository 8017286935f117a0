"""Browser tests: headless Chromium against a running server (marked ``browser``)."""
