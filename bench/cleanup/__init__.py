"""Cleanup at scale: a million rows deleted in batches while workers keep reading."""
