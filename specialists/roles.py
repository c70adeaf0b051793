"""Roles: what a specialist is for, which tools it may use and what it must return.

A role is data. The four built-in roles are defined here; users add roles in
their own code (``RoleCatalog.register``) or in a JSON/YAML file
(read by ``agentrt.cluster.config_files.load_roles``) without editing the package, and the planner uses them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrt.contracts import ConfigError, JsonObject, Name

__all__ = ["BUILTIN_ROLES", "RoleCatalog", "RoleSpec", "Stage"]


class Stage:
    """Where a role's steps sit in a plan: earlier stages feed later ones."""

    GATHER = 0
    ANALYZE = 1
    COMPOSE = 2
    VERIFY = 3


class RoleSpec(BaseModel):
    """A specialist role.

    Attributes:
        name: Role name (also the pool name).
        description: What the role does, in words a planner matches against a goal.
        instructions: The system instructions its agent runs with.
        tools: Names of the tools it may use.
        output: Name of the artifact holding its final answer.
        output_schema: JSON Schema the ``data`` of the role's final answer must satisfy, if any (the
            answer is validated against it, and models with structured output are sent it).
        keywords: Words in a goal that call for this role.
        consumes: Media types of attached data this role works on.
        stage: Plan stage (see :class:`Stage`).
        replicas: Pool size.
        concurrency: Steps one replica runs at once (its model and tool calls are awaited, so a
            replica waiting on a slow model serves many steps; a CPU-bound role wants fewer).
        recall: Memory records a step of the role searches for itself (its run's and its agent's
            partitions) before its first turn. 0, the default, leaves it to the one search the
            supervisor makes per step (tenant, user, run and agent partitions), whose hits come in
            the assignment's context.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    description: str
    instructions: str
    tools: tuple[str, ...] = ()
    output: Name = "answer"
    output_schema: JsonObject | None = None
    keywords: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    stage: int = Field(default=Stage.ANALYZE, ge=0, le=3)
    replicas: int = Field(default=1, ge=0, le=256)
    concurrency: int = Field(default=4, ge=1, le=1024)
    recall: int = Field(default=0, ge=0, le=100)

    @field_validator("output_schema")
    @classmethod
    def _valid_schema(cls, schema: JsonObject | None) -> JsonObject | None:
        if schema is not None:
            validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            try:
                validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"output_schema is not valid JSON Schema: {exc.message}") from None
        return schema

    @property
    def verifies(self) -> bool:
        """True for a role whose steps verify others (QA)."""
        return self.stage == Stage.VERIFY


BUILTIN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        name="researcher",
        description=(
            "Find facts, definitions and evidence in the documents the user gave and in memory, with citations."
        ),
        instructions=(
            "You are the researcher. Search the given documents and memory for what the step asks. "
            "Answer only from what you found and cite every source."
        ),
        tools=("search_documents", "define_terms"),
        output="findings",
        keywords=(
            "research",
            "find",
            "look",
            "definition",
            "define",
            "docs",
            "document",
            "explain",
            "why",
            "source",
            "policy",
            "runbook",
            "guide",
            "metric",
            "routing",
        ),
        consumes=("text/markdown", "text/plain"),
        stage=Stage.GATHER,
    ),
    RoleSpec(
        name="analyst",
        description=(
            "Compute figures from data files: aggregations, comparisons, week-over-week changes, SQL questions, logs."
        ),
        instructions=(
            "You are the analyst. Use the compute and SQL tools on the attached data; never guess a figure. "
            "Report every number with where it came from."
        ),
        tools=(
            "compare_periods",
            "aggregate_table",
            "describe_table",
            "top_k",
            "parse_table",
            "run_sql",
            "describe_database",
            "run_python",
            "count_errors_by_service",
            "find_first_error",
            "filter_log_events",
            "group_error_messages",
            "classify_text",
            "classify_records",
            "extract_entities",
        ),
        output="analysis",
        keywords=(
            "compute",
            "calculate",
            "analyse",
            "analyze",
            "sales",
            "revenue",
            "figures",
            "numbers",
            "week",
            "compare",
            "change",
            "total",
            "trend",
            "investigate",
            "logs",
            "errors",
            "incident",
            "classify",
            "triage",
            "tickets",
            "count",
            "summary",
            "weekly",
        ),
        consumes=("text/csv", "application/json", "text/x-log", "application/x-sqlite3"),
        stage=Stage.ANALYZE,
    ),
    RoleSpec(
        name="writer",
        description="Draft a mail, report, summary or note in the requested format from earlier artifacts only.",
        instructions=(
            "You are the writer. Draft from the artifacts you are given only; carry their citations through; "
            "invent no figure."
        ),
        tools=("draft_document",),
        output="draft",
        keywords=(
            "draft",
            "write",
            "mail",
            "email",
            "report",
            "summary",
            "summarise",
            "summarize",
            "note",
            "memo",
            "announce",
            "reply",
            "message",
            "post",
        ),
        stage=Stage.COMPOSE,
    ),
    RoleSpec(
        name="qa",
        description="Verify a result against the acceptance criteria: every figure and claim traced to a source.",
        instructions=(
            "You are QA. Check the draft against the acceptance criteria and the artifacts. "
            "Return pass, or the list of defects."
        ),
        tools=("check_draft", "check_artifact"),
        output="verdict",
        keywords=("verify", "check", "review", "qa", "validate"),
        stage=Stage.VERIFY,
    ),
)


class RoleCatalog:
    """The roles a runtime knows, built-ins first.

    Args:
        roles: Initial roles; defaults to :data:`BUILTIN_ROLES`.
    """

    def __init__(self, roles: Iterable[RoleSpec] = BUILTIN_ROLES) -> None:
        self._roles: dict[str, RoleSpec] = {}
        for role in roles:
            self.register(role)

    def register(self, role: RoleSpec) -> None:
        """Add or replace a role."""
        self._roles[role.name] = role

    def add_many(self, items: Iterable[object]) -> list[RoleSpec]:
        """Validate and register roles given as data (e.g. the ``roles`` list of a roles file).

        Raises:
            ConfigError: An item is not a valid role; nothing is registered then.
        """
        try:
            roles = [RoleSpec.model_validate(item) for item in items]
        except ValueError as exc:
            raise ConfigError(f"invalid role: {exc}") from None
        for role in roles:
            self.register(role)
        return roles

    def get(self, name: str) -> RoleSpec:
        """Return a role by name."""
        try:
            return self._roles[name]
        except KeyError:
            raise ConfigError(f"unknown role {name!r}; known: {sorted(self._roles)}", role=name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._roles

    def __iter__(self) -> Iterator[RoleSpec]:
        return iter(self._roles.values())

    def names(self) -> list[str]:
        """Role names in registration order."""
        return list(self._roles)
