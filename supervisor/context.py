"""Context assembly: what each step is given, with sources, within a token budget.

A step receives the artifacts of the steps it depends on (and the goal's
attachments) as inputs, and context items ranked by priority: passages of the
attached documents retrieved for the step, then relevant long-term memory found
with a rewritten query. Items are fitted into the step's token budget by
priority, each naming its source.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from agentrt.contracts import (
    AccessDenied,
    Artifact,
    ContextItem,
    Goal,
    Identity,
    MemoryQuery,
    MemoryRef,
    Partition,
    Plan,
    RunState,
    Scope,
    Step,
    TaskStatus,
)
from agentrt.specialists.tools.retrieval import search_documents

__all__ = ["attachment_artifacts", "estimate_tokens", "fit_to_budget", "gather_context", "rewrite_query", "step_inputs"]

_STOP = frozenset(
    (  # noqa: SIM905  (a word list reads better as text)
        "a an the and or of to for with in on at by from into about as is are be this that these those "
        "it its our their your my we you they use using please prepare draft write make do give me us "
        "team "
    ).split()
)
_DOC_TYPES = ("text/markdown", "text/plain")


def estimate_tokens(text: str) -> int:
    """A cheap token estimate: about four characters per token."""
    return max(1, len(text) // 4)


def rewrite_query(step: Step, goal: Goal, entities: dict[str, list[str]]) -> str:
    """Turn a step instruction into a retrieval query: content words, plus the goal's entities."""
    words = [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*", step.instruction) if w.lower() not in _STOP]
    goal_words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]+", goal.text) if w.lower() not in _STOP]
    extra = [v for values in entities.values() for v in values]
    seen: dict[str, None] = {}
    for w in words + goal_words + extra:
        seen.setdefault(w.lower(), None)
    return " ".join(list(seen)[:40])


def attachment_artifacts(goal: Goal, media_types: Collection[str] | None = None) -> tuple[Artifact, ...]:
    """The goal's attachments (of the given media types) as input artifacts, named after the file's stem."""
    out = []
    for a in goal.attachments:
        if media_types is not None and a.media_type not in media_types:
            continue
        stem = re.sub(r"[^A-Za-z0-9_\-]", "_", a.name.rsplit(".", 1)[0]) or "attachment"
        if not stem[0].isalpha():
            stem = f"file_{stem}"
        out.append(Artifact(name=stem[:64], media_type=a.media_type, text=a.content))
    return tuple(out)


def step_inputs(plan: Plan, state: RunState, step: Step, consumes: Collection[str]) -> tuple[Artifact, ...]:
    """Artifacts of every step this one (transitively) depends on, nearest first, then the attachments it consumes."""
    order: list[str] = []
    frontier = list(step.depends_on)
    while frontier:
        sid = frontier.pop(0)
        if sid in order:
            continue
        order.append(sid)
        frontier.extend(plan.step(sid).depends_on)
    artifacts: list[Artifact] = []
    for sid in order:
        result = state.results.get(sid)
        if result is not None and result.status == TaskStatus.SUCCEEDED:
            artifacts.extend(result.artifacts)
    return tuple(artifacts) + attachment_artifacts(state.goal, consumes)


def fit_to_budget(items: Iterable[ContextItem], budget_tokens: int) -> tuple[ContextItem, ...]:
    """Keep the most important items (lowest priority number first) that fit into the budget."""
    kept: list[ContextItem] = []
    used = 0
    for item in sorted(items, key=lambda i: i.priority):
        cost = item.tokens or estimate_tokens(item.text)
        if used + cost > budget_tokens:
            continue
        kept.append(item.model_copy(update={"tokens": cost}))
        used += cost
    return tuple(kept)


async def gather_context(
    step: Step,
    state: RunState,
    memory: MemoryRef | None,
    identity: Identity,
    budget_tokens: int,
) -> tuple[ContextItem, ...]:
    """Assemble the context items of one step."""
    entities = state.intake.get("entities", {})
    query = rewrite_query(step, state.goal, entities if isinstance(entities, dict) else {})  # type: ignore[arg-type]
    items = list(_document_items(state.goal, query))
    if memory is not None:
        items.extend(await _memory_items(memory, identity, state.goal, query, step.role))
    return fit_to_budget(items, budget_tokens)


def _document_items(goal: Goal, query: str) -> Iterable[ContextItem]:
    documents = {a.name: a.content for a in goal.attachments if a.media_type in _DOC_TYPES}
    if not documents or not query:
        return
    found = search_documents(query, documents, top_k=4)
    for rank, passage in enumerate(found.passages):
        c = passage.citation
        yield ContextItem(source=f"doc:{c.source}#{c.locator}", text=passage.text, priority=min(2 + rank // 2, 9))


async def _memory_items(memory: MemoryRef, identity: Identity, goal: Goal, query: str, role: str) -> list[ContextItem]:
    # The step's one memory search: the tenant's and user's memory, and what the run and the
    # step's agent have noted; the specialist does not search again unless its role asks to.
    partitions = (
        Partition(tenant=goal.tenant, scope=Scope.TENANT, owner=goal.tenant),
        Partition(tenant=goal.tenant, scope=Scope.USER, owner=goal.user),
        *((Partition(tenant=goal.tenant, scope=Scope.RUN, owner=identity.run_id),) if identity.run_id else ()),
        Partition(tenant=goal.tenant, scope=Scope.AGENT, owner=role),
    )
    try:
        hits = await memory.search(
            MemoryQuery(
                caller=identity, partitions=partitions, text=query, k=5, recency_weight=0.2, reason="step context"
            )
        )
    except AccessDenied:
        return []
    return [
        ContextItem(source=f"memory:{h.record.id}", text=h.record.text, priority=min(4 + i, 9))
        for i, h in enumerate(hits.hits)
    ]
