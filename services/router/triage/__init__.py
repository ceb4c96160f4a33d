"""Triage: what a customer's message is about, how pressing it is, and whether the FAQ answers it.

Pure text processing over the router's data files (rules, FAQ); no database, no broker."""
