"""Configuration of the supervisor."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SupervisorConfig"]


class SupervisorConfig(BaseModel):
    """How the supervisor plans, schedules and recovers.

    Attributes:
        max_parallel_steps: Steps of one run in flight at once.
        max_replans: Plan versions a run may go through after its first.
        max_step_attempts: Attempts per step before the run fails.
        step_timeout_s: Longest a single step may take.
        context_tokens: Token budget for the context of one step.
        source_rank: Roles in order of trust, for conflicts between their outputs.
        remember: Store the verified result and its facts in long-term memory.
        autoscale: Grow each pool while steps queue for it (up to ``autoscale_max``) and shrink it
            back to its configured size when idle.
        autoscale_max: Most replicas per role under autoscaling.
        queue_per_replica: Queued steps per replica that trigger growth.
        planner: ``rules`` (the rule planner) or ``model`` (the OpenAI-compatible model proposes
            plans, checked by the rules, which take over when a plan is unusable).
        instructions: How rule-planned steps are worded: ``auto`` words the steps of roles that run
            the offline model for it (naming the columns, terms and draft settings it fills tool
            arguments from) and gives every other role its clause of the goal as planned;
            ``as_planned`` words no step; ``offline`` words every step (for an endpoint that serves
            the offline model).
        max_waits: Long polls (``wait``, and ``events`` with ``wait_s``) held at once; one more is
            answered at once, marked busy. Keep it under the supervisor actor's concurrency, which
            the specialists' trace calls share.
        run_retention_days: How long a finished run and its trace are kept (None: forever); the store
            is swept when the supervisor starts and every ``retention_sweep_s`` after.
        retention_sweep_s: Seconds between retention sweeps.
        redact_output: Replace personal data and secrets in a run's final output (and the deliverables
            it is made of) with ``[REDACTED:KIND]`` markers before anyone sees it.
        output_filter: ``"module:callable"`` of a content filter run on every final output after
            redaction (see :class:`~agentrt.supervisor.output.OutputFilter`); None runs none.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_parallel_steps: int = Field(default=8, ge=1, le=256)
    max_replans: int = Field(default=4, ge=0, le=50)
    max_step_attempts: int = Field(default=2, ge=1, le=10)
    step_timeout_s: float = Field(default=300.0, gt=0)
    context_tokens: int = Field(default=2000, ge=0)
    source_rank: tuple[str, ...] = ("qa", "analyst", "researcher", "writer")
    remember: bool = True
    autoscale: bool = False
    autoscale_max: int = Field(default=8, ge=1, le=256)
    queue_per_replica: float = Field(default=1.0, gt=0)
    planner: Literal["rules", "model"] = "rules"
    instructions: Literal["auto", "as_planned", "offline"] = "auto"
    max_waits: int = Field(default=128, ge=1, le=10_000)
    run_retention_days: float | None = Field(default=30.0, gt=0)
    retention_sweep_s: float = Field(default=3600.0, gt=0)
    redact_output: bool = True
    output_filter: str | None = None
