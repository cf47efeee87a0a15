"""qrinfo: look inside Chinaums payment QR codes from Slack."""

import sys

# httpx imports its command-line client, and with it rich, click and pygments (about 5 MB
# of RSS, 110 modules), whenever those are installed, as development tools install them.
# qrinfo never runs that client; httpx, finding it unimportable, defines a stub `main`.
# (None in sys.modules is Python's documented mark of a module that cannot be imported.)
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # typeshed omits None
