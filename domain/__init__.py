"""Rules several services share, as pure functions and values: assignment and its policy, business
hours, SLA targets and durations, priorities, callback rules, SMS segments and phone numbers, the token
bucket.

No I/O here (no database, broker, HTTP or file access, no `shared` or `services` imports); the
services fetch what these rules need, call them, and store or send what they decide. import-linter
holds that line (`[tool.importlinter]` in pyproject.toml).
"""
