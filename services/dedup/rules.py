"""De-duplication rules, as data, per state.

Every state starts from :data:`DEFAULT_RULES` (the rulebook in DOMAIN.md): the same Aadhaar,
bank account + IFSC or voter ID as another active member is a confirmed duplicate; the same
mobile, or a similar name and relative name in the same panchayat, is a potential one. A
state admin may change a rule's kind ("confirmed", "potential", "off") and the name rule's
thresholds and reach; the service reads the stored set, falling back to the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lokos.errors import FieldError, ValidationFailed
from services.dedup import names

IDENTIFIER_RULES = ("aadhaar", "bank_account", "voter_id", "mobile")
RULE_NAMES = (*IDENTIFIER_RULES, "name")
KINDS = ("confirmed", "potential", "off")
WITHIN = ("village", "panchayat")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str
    name_threshold: float = 0.0
    relative_threshold: float = 0.0
    within: str = ""
    exempt_same_household: bool = False


@dataclass(frozen=True, slots=True)
class RuleSet:
    state: str
    rules: tuple[Rule, ...]
    updated_by: str = ""

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    def kind_of(self, name: str) -> str:
        return self.rule(name).kind

    @property
    def identifier_rules(self) -> tuple[Rule, ...]:
        """Identifier rules that are on, confirmed ones first (they are evaluated first)."""
        on = [r for r in self.rules if r.name in IDENTIFIER_RULES and r.kind != "off"]
        return tuple(sorted(on, key=lambda r: KINDS.index(r.kind)))


DEFAULT_RULES = (
    Rule("aadhaar", "confirmed"),
    Rule("bank_account", "confirmed"),
    Rule("voter_id", "confirmed"),
    # A household often shares one phone: flagging sisters-in-law as duplicates would bury
    # the real ones.
    Rule("mobile", "potential", exempt_same_household=True),
    Rule(
        "name",
        "potential",
        name_threshold=names.NAME_THRESHOLD,
        relative_threshold=names.NAME_THRESHOLD,
        within="panchayat",
    ),
)


def defaults(state: str) -> RuleSet:
    return RuleSet(state, DEFAULT_RULES)


def merged(state: str, stored: list[Rule], updated_by: str = "") -> RuleSet:
    """The defaults with the state's stored rules in place of theirs."""
    by_name = {r.name: r for r in stored}
    return RuleSet(state, tuple(by_name.get(r.name, r) for r in DEFAULT_RULES), updated_by)


def validate(state: str, given: list[Rule]) -> RuleSet:
    """A state admin's rule set → the rules to store, or every problem with it at once."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    clean: list[Rule] = []
    for i, r in enumerate(given):
        where = f"rules[{i}]"
        if r.name not in RULE_NAMES:
            errors.append(FieldError(f"{where}.name", f"must be one of {', '.join(RULE_NAMES)}"))
            continue
        if r.name in seen:
            errors.append(FieldError(f"{where}.name", f"{r.name} is given twice", "duplicate"))
            continue
        seen.add(r.name)
        if r.kind not in KINDS:
            errors.append(
                FieldError(f"{where}.kind", "must be confirmed, potential or off", "enum")
            )
        if r.name == "name":
            if r.kind == "confirmed":
                errors.append(
                    FieldError(
                        f"{where}.kind",
                        "a similar name is never proof: the name rule is potential or off",
                        "enum",
                    )
                )
            for field in ("name_threshold", "relative_threshold"):
                value = getattr(r, field)
                if not 50.0 <= value <= 100.0:
                    errors.append(FieldError(f"{where}.{field}", "must be 50 to 100", "range"))
            if r.within not in WITHIN:
                errors.append(FieldError(f"{where}.within", "must be village or panchayat", "enum"))
            clean.append(replace(r, exempt_same_household=False))
        else:
            clean.append(replace(r, name_threshold=0.0, relative_threshold=0.0, within=""))
    if errors:
        raise ValidationFailed(errors, "the rule set has problems")
    return merged(state, clean)
