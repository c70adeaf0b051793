"""The error tree of agentrt.

Every error the runtime raises derives from one root::

    AgentRTError
    ├── UsageError                  the caller got something wrong; fix the input and retry
    │   ├── ContractError           a message failed to encode, decode or validate
    │   ├── ConfigError             a configuration value is invalid
    │   ├── GoalRejected            a goal was refused at intake (policy, empty, malformed)
    │   └── NotFound                a run, request, role or record does not exist
    ├── ResultTimeout               a client stopped waiting for a run (also a TimeoutError); the run goes on
    └── RunError                    the work itself failed within the rules
        ├── ActorLost               the actor serving a call died or is unreachable; re-dispatch
        ├── AccessDenied            an identity asked for what it is not granted
        │   └── MemoryAccessDenied  a memory read or write outside the caller's partitions
        ├── ToolError               a tool failed
        │   ├── ToolArgumentError   the arguments did not match the tool's schema
        │   ├── ToolTimeout         the tool ran past its timeout
        │   └── TransientToolError  a failure worth retrying (raised by tools)
        ├── PolicyDenied            the policy gate refused an action
        ├── ModelError              the model endpoint failed or replied with garbage
        │   └── MalformedToolCall   a tool call whose arguments are not a JSON object; ask again
        ├── BudgetExceeded          a step or run spent its steps, tokens, cost or time
        ├── RunCancelled            the run was cancelled by a person
        ├── RunFailed               a run a client waited for ended FAILED; carries the run's error
        ├── IllegalTransition       a run was moved between states the run state machine does not connect
        └── SandboxError            sandboxed compute was killed or misbehaved

Errors carry a message and a few keyword details. They pickle (Ray re-raises a
remote error as a subclass of the original), so ``except MemoryAccessDenied:``
works across processes. Constructors have no side effects.
"""

from __future__ import annotations

from typing import Any, Self

__all__ = [
    "AccessDenied",
    "ActorLost",
    "AgentRTError",
    "BudgetExceeded",
    "ConfigError",
    "ContractError",
    "ForgedIdentity",
    "GoalRejected",
    "IllegalTransition",
    "MalformedToolCall",
    "MemoryAccessDenied",
    "ModelError",
    "NotFound",
    "PolicyDenied",
    "ResultTimeout",
    "RunCancelled",
    "RunError",
    "RunFailed",
    "SandboxError",
    "ToolArgumentError",
    "ToolError",
    "ToolTimeout",
    "TransientToolError",
    "UsageError",
]

Detail = str | int | float | bool | None


def _restore(cls: type[AgentRTError], message: str, details: dict[str, Detail]) -> AgentRTError:
    return cls(message, **details)


class AgentRTError(Exception):
    """Root of every agentrt error.

    Args:
        message: What went wrong and, where it helps, what to do about it.
        **details: Machine-readable facts (a field name, a tool, a tenant).
    """

    def __init__(self, message: str, **details: Detail) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Detail] = dict(details)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.message, self.details))

    def __str__(self) -> str:
        return self.message

    def detail(self, key: str) -> Detail:
        """Return one detail, or None when it was not given."""
        return self.details.get(key)

    @classmethod
    def from_exception(cls, exc: BaseException) -> Self:
        """Wrap a foreign exception, keeping its type name in the details."""
        return cls(f"{type(exc).__name__}: {exc}", cause=type(exc).__name__)


class UsageError(AgentRTError):
    """The caller got something wrong: bad configuration or bad input."""


class ContractError(UsageError):
    """A message failed to encode, decode or validate. ``details['what']`` names the fault."""


class ConfigError(UsageError):
    """A configuration value is invalid."""


class GoalRejected(UsageError):
    """A goal was refused at intake."""


class NotFound(UsageError):
    """A run, request, role or record does not exist (or is not visible to the caller)."""


class RunError(AgentRTError):
    """The work failed within the rules."""


class ActorLost(RunError):
    """The actor serving a call died or became unreachable; the call may be re-dispatched."""


class AccessDenied(RunError):
    """An identity asked for something it is not granted."""


class ForgedIdentity(AccessDenied):
    """A call into a runtime service carried no credential, a forged one, or one that does not cover the request."""


class MemoryAccessDenied(AccessDenied):
    """A memory read or write outside the caller's partitions."""


class ToolError(RunError):
    """A tool failed. ``details['tool']`` names it."""


class ToolArgumentError(ToolError):
    """Tool arguments did not match the tool's schema. ``details['field']`` names the first bad field."""


class ToolTimeout(ToolError):
    """A tool ran past its timeout."""


class TransientToolError(ToolError):
    """A failure worth retrying: tools raise it (or a type they declare transient)."""


class PolicyDenied(RunError):
    """The policy gate refused an action. ``details['reason']`` says why."""


class ModelError(RunError):
    """The model endpoint failed or replied with something unusable."""


class MalformedToolCall(ModelError):
    """The model called a tool with arguments that are not a JSON object.

    ``details['tool']`` names the tool and ``details['raw']`` holds the start of
    what the model sent; the agent loop tells the model and asks again.
    """


class BudgetExceeded(RunError):
    """A step or run spent its budget. ``details['budget']`` names which one."""


class RunCancelled(RunError):
    """The run was cancelled."""


class RunFailed(RunError):
    """A run a client waited for ended FAILED. ``details['run_id']`` and ``details['error']`` say which and why."""


class IllegalTransition(RunError):
    """A run was moved between two states the table ``RUN_TRANSITIONS`` does not connect (a bug, never input)."""


class ResultTimeout(AgentRTError, TimeoutError):
    """A client stopped waiting for a run; the run itself goes on. ``details['run_id']`` names it."""


class SandboxError(RunError):
    """Sandboxed compute was killed (time, memory) or failed."""
