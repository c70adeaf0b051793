"""The typed result protocol: what a specialist's final answer may carry, and where a proposal came from.

A specialist's model ends a step with one JSON object matching its role's output
schema (:class:`StepAnswer` for roles that produce work, :class:`QAVerdict` for
roles that verify). The specialist validates it and builds the typed fields of
:class:`~agentrt.contracts.TaskResult` from it: the deliverable, facts, follow-up
proposals, the verdict. Nothing in those fields is read from a tool's output.

A :class:`StepFact` is a figure a step reports for other steps (conflict
resolution, QA, what a verified run remembers); it is not a memory
:class:`~agentrt.contracts.Fact`, which belongs to a memory partition. The
supervisor turns verified step facts into memory facts itself.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentrt.contracts._base import Contract, JsonObject, JsonValue
from agentrt.contracts.ids import Name, StepId

__all__ = ["Defect", "Provenance", "QAVerdict", "ResponseFormat", "StepAnswer", "StepFact", "StepProposal"]


class StepFact(Contract):
    """A figure or finding a step reports, with where it came from and how sure the step is."""

    kind: Literal["step_fact"] = "step_fact"
    label: str = Field(min_length=1, max_length=200)
    value: bool | int | float | str
    unit: str = Field(default="", max_length=64)
    source: str = Field(default="", max_length=512)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class Defect(Contract):
    """One thing QA found wrong: the claim it concerns and the evidence against it."""

    kind: Literal["defect"] = "defect"
    claim: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(default="", max_length=2000)
    category: str = Field(default="", max_length=64)

    def text(self) -> str:
        """The defect in one line, for a fix step's instruction and the trace."""
        head = f"{self.category}: {self.claim}" if self.category else self.claim
        return f"{head} ({self.evidence})" if self.evidence else head


class QAVerdict(Contract):
    """The output schema of a verifying role: passed, or the defects that fail it."""

    kind: Literal["qa_verdict"] = "qa_verdict"
    passed: bool
    defects: tuple[Defect, ...] = Field(default=(), max_length=100)
    summary: str = Field(default="", max_length=8000)


class StepProposal(Contract):
    """A further step a specialist suggests: a role (or none, for the planner to pick) and an instruction.

    It is a proposal, not a command: the supervisor admits it, refuses it or holds it for a person.
    """

    kind: Literal["step_proposal"] = "step_proposal"
    role: Name | None = None
    instruction: str = Field(min_length=1, max_length=2000)
    reason: str = Field(default="", max_length=1000)


class StepAnswer(Contract):
    """The output schema of a role that produces work: the answer, and what it reports for the plan.

    ``data`` holds the structured deliverable of a role that declares an ``output_schema``.
    """

    kind: Literal["step_answer"] = "step_answer"
    answer: str = Field(min_length=1, max_length=200_000)
    data: JsonValue = None
    facts: tuple[StepFact, ...] = Field(default=(), max_length=200)
    follow_ups: tuple[StepProposal, ...] = Field(default=(), max_length=10)


class Provenance(Contract):
    """Where a proposal came from: the step, its role and agent, and the untrusted content that step read."""

    kind: Literal["provenance"] = "provenance"
    step_id: StepId
    role: Name
    agent: str = ""
    sources: tuple[str, ...] = ()

    @property
    def untrusted(self) -> bool:
        """True when the proposing step read a tool output, a document or a memory record."""
        return bool(self.sources)


class ResponseFormat(Contract):
    """The JSON schema a model's final answer must match (sent as the response format where supported)."""

    kind: Literal["response_format"] = "response_format"
    name: Name
    json_schema: JsonObject

    def wire(self) -> JsonObject:
        """The OpenAI-style ``response_format`` object."""
        return {"type": "json_schema", "json_schema": {"name": self.name, "schema": self.json_schema, "strict": False}}
