"""The router's decision inputs, loaded once at start: triage files, policy, SLA targets."""

import msgspec

from domain.policy import Policy
from domain.sla import SlaConfigError, SlaTargets, load_sla_targets
from services.router.triage.faq import Answer
from services.router.triage.triager import Triager
from shared.config import ConfigError, Settings
from shared.datafile import DataFileError
from shared.routing_policy import policy_of


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


def load_routing(settings: Settings) -> Routing:
    """Everything the router decides with; a bad file or value is a ConfigError naming it."""
    try:
        triager = Triager.from_paths(settings.router_rules, settings.faq_kb, settings.business_hours)
    except DataFileError as exc:
        raise ConfigError(str(exc)) from None
    policy = policy_of(settings.routing_policy)
    try:
        targets = load_sla_targets(settings.sla_targets)
    except SlaConfigError as exc:
        raise ConfigError(f"RELAYDESK_SLA_TARGETS is invalid: {exc}") from None
    answers = {entry.id: entry.answer for entry in triager.kb.entries}
    return Routing(triager, policy, targets, answers)
