"""`python -m services.notifier`: the notifier alone, as `relaydesk run notifier` runs it."""

import sys

from relaydesk.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "notifier"]))
