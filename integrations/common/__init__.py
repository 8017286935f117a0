"""The leaf package: what every layer may import (the Secret type, log redaction, the upstream
error type and its guidance, the retry policy and timeout defaults, calendar months). It imports
nothing of ours, so integrations can use it without depending on the app above them."""
