"""The router's decision inputs, loaded once at start: triage files, policy, SLA targets."""

import msgspec

from services.router.datafile import DataFileError
from services.router.faq import Answer
from services.router.policy import Policy, load_policy
from services.router.sla import SlaConfigError, SlaTargets, load_sla_targets
from services.router.triage import Triager
from shared.config import ConfigError, Settings


class Routing(msgspec.Struct, frozen=True):
    triager: Triager
    policy: Policy
    targets: SlaTargets
    answers: dict[str, Answer]
    """FAQ id -> its answer, for self-service replies and menu clicks naming an FAQ topic."""

    def answer(self, faq_id: str, language: str) -> str | None:
        found = self.answers.get(faq_id)
        if found is None:
            return None
        return found.en if language == "en" else found.zh


def policy_of(settings: Settings) -> Policy:
    """The assignment policy from RELAYDESK_ROUTING_POLICY; a ConfigError naming it when it is bad."""
    try:
        return load_policy(settings.routing_policy)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"RELAYDESK_ROUTING_POLICY is invalid: {exc}") from None


def load_routing(settings: Settings) -> Routing:
    """Everything the router decides with; a bad file or value is a ConfigError naming it."""
    try:
        triager = Triager.from_paths(settings.router_rules, settings.faq_kb, settings.business_hours)
    except DataFileError as exc:
        raise ConfigError(str(exc)) from None
    policy = policy_of(settings)
    try:
        targets = load_sla_targets(settings.sla_targets)
    except SlaConfigError as exc:
        raise ConfigError(f"RELAYDESK_SLA_TARGETS is invalid: {exc}") from None
    answers = {entry.id: entry.answer for entry in triager.kb.entries}
    return Routing(triager, policy, targets, answers)
