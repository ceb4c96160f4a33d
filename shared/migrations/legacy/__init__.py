"""The frozen pre-split migrations 0001-0021: only to bring an old database up before adopting it."""
