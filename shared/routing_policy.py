"""The assignment policy from `RELAYDESK_ROUTING_POLICY`: the router assigns conversations by it and
the notifier assigns callbacks by it, so both read it here, the one way."""

from collections.abc import Mapping

import msgspec

from domain.policy import Policy, load_policy
from shared.config import ConfigError


def policy_of(raw: Mapping[str, object]) -> Policy:
    """The policy from the setting's decoded JSON; a ConfigError naming the variable when it is bad."""
    try:
        return load_policy(dict(raw))
    except msgspec.ValidationError as exc:
        raise ConfigError(f"RELAYDESK_ROUTING_POLICY is invalid: {exc}") from None
