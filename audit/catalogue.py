"""Every audit event MedCamp can emit, declared once: its name, action, target, scope and meaning.

Code emits by catalogue entry (`EVENTS.VISIT_REGISTERED`, `EVENTS.of(record_type, Kind.VIEWED)`,
`EVENTS.attempt(resource, verb)`), never by a name of its own: a name that is not declared here
cannot be built (`UnknownEvent`). Events of a kind shared by many record types (created,
viewed, a refused update, ...) are declared as families over the types that have them; the
name `<type>.<kind>` is composed here and nowhere else. docs/audit-events.md's catalogue is
generated from this module (`manage.py catalogue_docs`), and a test fails when they differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

ACTIONS = ("create", "read", "update", "delete", "login", "logout", "execute")
SUCCESS = ("success",)
FAILURE = ("failure",)
EITHER = ("success", "failure")

# What an event about a record of each type carries besides its target (audit_scope()).
PATIENT = ("patient_id",)
VISIT = ("patient_id", "visit_id", "camp_id")
SCOPES: dict[str, tuple[str, ...]] = {
    "patient": PATIENT,
    "visit": VISIT,
    "vitals": VISIT,
    "queue_entry": VISIT,
    "consultation": VISIT,
    "prescription": VISIT,
    "dispense": (),
    "camp": ("camp_id",),
    "medicine": (),
    "stock_batch": (),
    "stock_movement": (),
    "user": (),
    "audit_event": PATIENT,  # reading an event about a patient is a read of that patient's record
}
STREAMED: tuple[str, ...] = (
    "patient",
    "visit",
    "vitals",
    "queue_entry",
    "consultation",
    "prescription",
    "camp",
    "medicine",
)
STREAMED += ("stock_batch", "user")  # the record types whose changes are events (audit_stream)
SERVED_IN_ADMIN: tuple[str, ...] = ("patient", "visit", "vitals", "queue_entry", "consultation", "prescription", "camp")
SERVED_IN_ADMIN += ("medicine", "stock_batch", "user")  # saved in admin through the services
IN_ADMIN = (*SERVED_IN_ADMIN, "dispense", "stock_movement")  # read in admin, with History pages


class Kind(StrEnum):
    """The second half of a family's names: what happened to a record of the type."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    VIEWED = "viewed"
    LIST_VIEWED = "list_viewed"
    SEARCHED = "searched"
    HISTORY_VIEWED = "history_viewed"
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    REVERT = "revert"


class UnknownEvent(LookupError):
    """An event name that the catalogue does not declare."""


@dataclass(frozen=True)
class EventType:
    """One declared event: the outcomes it may have (a refusal names the attempted action)."""

    name: str
    action: str
    target: str | None  # the type of record it targets; None: none, or whatever the request names
    scope: tuple[str, ...]
    meaning: str
    outcomes: tuple[str, ...] = SUCCESS

    def __str__(self) -> str:
        return self.name

    @property
    def words(self) -> str:
        """What happened, for a message: `list_viewed` -> `list viewed`."""
        return self.name.rpartition(".")[2].replace("_", " ")


class Catalogue:
    """The declared events, by name."""

    def __init__(self) -> None:
        self._entries: dict[str, EventType] = {}

    def declare(
        self,
        name: str,
        *,
        action: str,
        meaning: str,
        target: str | None = None,
        scope: tuple[str, ...] = (),
        outcomes: tuple[str, ...] = SUCCESS,
    ) -> EventType:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        if name in self._entries:
            raise ValueError(f"audit event {name!r} is declared twice")
        entry = EventType(name, action, target, scope, meaning, outcomes)
        self._entries[name] = entry
        return entry

    def family(
        self,
        kind: str,
        *,
        types: tuple[str, ...],
        action: str,
        meaning: str,
        targeted: bool = True,
        outcomes: tuple[str, ...] = SUCCESS,
        scope: tuple[str, ...] | None = None,
    ) -> None:
        """`<type>.<kind>` for each type; `{type}` in the meaning is the type's name."""
        for audit_type in types:
            self.declare(
                f"{audit_type}.{kind}",
                action=action,
                meaning=meaning.format(type=audit_type.replace("_", " ")),
                target=audit_type if targeted else None,
                scope=SCOPES[audit_type] if scope is None else scope,
                outcomes=outcomes,
            )

    def __getitem__(self, name: str) -> EventType:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownEvent(f"audit event {name!r} is not declared (audit/event_types.py)") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[EventType]:
        return iter(sorted(self._entries.values(), key=lambda entry: entry.name))

    def __len__(self) -> int:
        return len(self._entries)

    def of(self, audit_type: str, kind: str) -> EventType:
        """The `kind` event of a record type (`patient.viewed`)."""
        return self[f"{audit_type}.{kind}"]

    def attempt(self, resource: str, verb: str) -> EventType:
        """The failure event of an attempted action (`patient.update`, `auth.login`)."""
        entry = self[f"{resource}.{verb}"]
        if "failure" not in entry.outcomes:
            raise UnknownEvent(f"audit event {entry.name!r} is not a refused action")
        return entry

    def markdown(self) -> str:
        """The catalogue as docs/audit-events.md shows it."""
        lines = ["| event | action | outcomes | target | scope | meaning |", "|---|---|---|---|---|---|"]
        for entry in self:
            scope = ", ".join(f"`{key}`" for key in entry.scope) or "-"
            outcomes = ", ".join(entry.outcomes)
            lines.append(
                f"| `{entry.name}` | {entry.action} | {outcomes} | {entry.target or '-'} | {scope} | {entry.meaning} |"
            )
        return "\n".join(lines)
