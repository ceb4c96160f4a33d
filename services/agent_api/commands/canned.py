"""Canned responses: placeholders in a template, checked when saved and filled in when used (pure)."""

import re

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
PLACEHOLDERS = ("customer_name", "agent_name")
"""What a template may name: `{{customer_name}}`, `{{agent_name}}`."""
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NAMELESS = {"zh": "客户", "en": "customer"}
"""Said in place of a customer's name nobody knows, in the template's own language."""


class UnknownPlaceholder(ValueError):
    pass


def check(template: str) -> None:
    """Raise UnknownPlaceholder naming the first placeholder the API cannot fill."""
    for name in PLACEHOLDER.findall(template):
        if name not in PLACEHOLDERS:
            raise UnknownPlaceholder(
                f"Unknown placeholder {{{{{name}}}}}; use {', '.join(f'{{{{{p}}}}}' for p in PLACEHOLDERS)}."
            )


def render(template: str, customer_name: str, agent_name: str) -> str:
    """The template with its placeholders filled in for this conversation."""
    language = "zh" if CJK.search(template) else "en"
    values = {
        "customer_name": customer_name.strip() or NAMELESS[language],
        "agent_name": agent_name,
    }
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)
