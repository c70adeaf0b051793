"""A role's output schema: the response format its model is asked for, and the check of its final answer.

A role that produces work answers with a :class:`~agentrt.contracts.StepAnswer`
(``data`` checked against the role's own JSON schema when it declares one); a
verifying role answers with a :class:`~agentrt.contracts.QAVerdict`. A plain-text
reply is accepted as the ``answer`` of a role whose schema needs nothing else, so
a model that cannot produce JSON still works for ordinary steps; it can never
pass QA, carry facts or propose steps that way.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import jsonschema
from pydantic import ValidationError

from agentrt.contracts import ChatModel, ConfigError, JsonObject, QAVerdict, ResponseFormat, StepAnswer

__all__ = ["AnswerSchema", "InvalidAnswer", "takes_response_format"]

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class InvalidAnswer(Exception):
    """The final answer does not match the output schema; the message says where."""


class AnswerSchema:
    """The output schema of one role.

    Args:
        name: The output artifact's name (names the response format).
        verifies: True for a verifying role (its answer is a QA verdict).
        data_schema: JSON Schema the answer's ``data`` must match, if the role declares one.

    Raises:
        ConfigError: ``data_schema`` is not a valid JSON Schema.
    """

    def __init__(self, name: str, *, verifies: bool = False, data_schema: JsonObject | None = None) -> None:
        self.verifies = verifies
        self.data_schema = data_schema
        model = QAVerdict if verifies else StepAnswer
        schema: dict[str, Any] = model.model_json_schema()
        self._data_validator: jsonschema.protocols.Validator | None = None
        if data_schema is not None and not verifies:
            try:
                cls = jsonschema.validators.validator_for(data_schema, default=jsonschema.Draft202012Validator)
                cls.check_schema(data_schema)
            except jsonschema.SchemaError as exc:
                raise ConfigError(f"output schema of {name} is not valid JSON Schema: {exc.message}",
                                  field="output_schema") from None  # fmt: skip
            self._data_validator = cls(data_schema)
            schema["properties"] = {**schema["properties"], "data": data_schema}
            schema["required"] = [*schema.get("required", []), "data"]
        self.format = ResponseFormat(name=name, json_schema=schema)

    @property
    def accepts_text(self) -> bool:
        """Whether a plain-text reply is a valid answer (it becomes ``answer``)."""
        return not self.verifies and self.data_schema is None

    def describe(self) -> str:
        """The instruction the system message carries about the final answer."""
        if self.accepts_text:
            return (
                "When done, reply with no tool calls and either the result as plain text, or one JSON object "
                f"matching this schema when you report facts or propose further steps: {_compact(self.format)}"
            )
        return (
            "When done, reply with no tool calls and only one JSON object matching this schema: "
            f"{_compact(self.format)}"
        )

    def parse(self, text: str) -> StepAnswer | QAVerdict:
        """Validate a final answer.

        Raises:
            InvalidAnswer: It does not match the schema.
        """
        body = _json_object(text)
        if body is None:
            if self.accepts_text and text.strip():
                return StepAnswer(answer=text.strip())
            raise InvalidAnswer("the reply is not one JSON object" if text.strip() else "the reply is empty")
        try:
            answer: StepAnswer | QAVerdict = (QAVerdict if self.verifies else StepAnswer).model_validate(body)
        except ValidationError as exc:
            raise InvalidAnswer(_first_errors(exc)) from None
        if self._data_validator is not None:
            error = jsonschema.exceptions.best_match(self._data_validator.iter_errors(body.get("data")))
            if error is not None:
                where = ".".join(str(p) for p in error.absolute_path) or "data"
                raise InvalidAnswer(f"data{'.' + where if where != 'data' else ''}: {error.message}")
        return answer


def takes_response_format(model: ChatModel) -> bool:
    """Whether a model's ``complete`` takes ``response_format`` (the port's structured-output argument)."""
    try:
        parameters = inspect.signature(model.complete).parameters
    except (TypeError, ValueError):
        return False
    return "response_format" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _json_object(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    if not stripped.startswith("{"):
        return None
    try:
        body = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _first_errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "answer"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _compact(fmt: ResponseFormat) -> str:
    return json.dumps(_bare(fmt.json_schema), separators=(",", ":"), ensure_ascii=False)


def _bare(schema: Any) -> Any:
    # The schema as the prompt shows it: without titles and descriptions, which only cost tokens there.
    if isinstance(schema, dict):
        return {k: _bare(v) for k, v in schema.items() if k not in ("title", "description")}
    if isinstance(schema, list):
        return [_bare(v) for v in schema]
    return schema
