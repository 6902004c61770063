"""Recovering durable jobs: rebuild a job from its journal and run what it had not finished.

The guarantee. A job's *recorded state* is exactly-once: its routine states,
shared data and log, outputs, history and deferred events hold the changes of
exactly the activations whose end record was committed, each once, in commit
order; a stateful slot (``append`` or a custom merge) is rebuilt by replaying
its merges in their recorded order, so a handler that ran when the process
died is given, when it runs again, the very value it was given before.
Handler *side effects* are at-least-once: an activation queued or running at
the crash runs again, with the same idempotency key ``(job_id, seq)``
(:func:`routilux.activation_key`).

The per-routine figures (``routine_stats()``) are journaled when the job
settles (it ended, or a pause completed). A rebuilt job has them when they are
still current, that is when no activation ended or was queued after them: a
finished or paused job has its figures; a job that was running has none. A
job recovered with none counts from the recovery on in ``routine_stats()``,
and journals no figures any more (they would leave out what ran before).
"""

from __future__ import annotations

import copy
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from routilux.engine.activation import Activation
from routilux.engine.durability import StoreBinding, flow_definition, flow_hash
from routilux.engine.job_run import PAUSED
from routilux.engine.pending import resolve_routine
from routilux.execution_record import ExecutionRecord
from routilux.job_effects import apply_effect
from routilux.job_lifecycle import FINAL_STATUSES
from routilux.job_state import JobState
from routilux.serialization.callables import deserialize_callable
from routilux.serialization.values import decode_value

if TYPE_CHECKING:
    from routilux.engine.runtime import Engine
    from routilux.store import JobHeader

__all__ = ["Replayed", "read_job", "recover_jobs", "replay"]

# A pending activation: [routine_id, slot_name, data, source_routine_id, source_event, attempt].
Pending = list[Any]


class Replayed:
    """A job rebuilt from its journal: the job, its unfinished activations, what they had merged."""

    def __init__(self, job: JobState) -> None:
        self.job = job
        self.pending: dict[int, Pending] = {}
        self.premerged: dict[int, Any] = {}
        self.next_seq = 1
        #: Whether the journal's last figures are still those of the job (see the module docstring).
        self.figures_current = False


def _slot_of(flow: Any, entry: Pending) -> Any:
    routine = resolve_routine(flow, entry[0])
    slot = routine.get_slot(entry[1]) if routine is not None else None
    if slot is None:
        raise ValueError(
            f"the journal names slot {entry[0]!r}.{entry[1]!r}, which flow {flow.flow_id!r} lacks "
            f"(its routines: {sorted(flow.routines)})"
        )
    return slot


def _connection_of(flow: Any, entry: Pending, slot: Any) -> Any:
    source = resolve_routine(flow, entry[3])
    event = source.get_event(entry[4]) if source is not None and entry[4] is not None else None
    return flow._find_connection(event, slot) if event is not None else None


def _restore_slot_data(flow: Any, header: JobHeader) -> None:
    """Stateful slots start from the data they held when the job started (the header's flow snapshot)."""
    routines = header.flow_data.get("routines") or {}
    for routine_id, routine in flow.routines.items():
        saved_slots = (routines.get(routine_id) or {}).get("_slots") or {}
        for name, slot in routine._slots.items():
            strategy = slot.merge_strategy
            if strategy == "append" or callable(strategy):
                saved = (saved_slots.get(name) or {}).get("_data") or {}
                # A flow that could not be serialized recorded its slots' data as text only.
                if not isinstance(saved, str):
                    what = f"job {header.job_id!r}, slot {routine_id}.{name}"
                    slot._data = decode_value(saved, what, partial(_restore_callable, routine, what))


def _restore_callable(owner: Any, what: str, ref: Any) -> Any:
    return deserialize_callable(ref, None, owner, what=what)


def replay(flow: Any, header: JobHeader, records: list[tuple[str, int, Any]]) -> Replayed:
    """Rebuild the job of ``header`` from its committed ``records`` (see the module docstring).

    With ``flow`` None, the job's record only (what ``inspect`` shows): slots are not touched.

    Raises:
        ValueError: the journal names a routine or slot the flow lacks, or holds an unknown record.
    """
    job = JobState(header.flow_id, history_limit=header.history_limit)
    job.job_id = header.job_id
    job.created_at = datetime.fromtimestamp(header.created_at)
    job.status = "running"
    job.current_routine_id = header.entry_id
    job.records.append(ExecutionRecord(header.entry_id, "start", dict(header.entry_params), job.created_at))
    out = Replayed(job)
    out.pending[0] = [header.entry_id, "trigger", dict(header.entry_params), None, None, 0]
    if flow is not None:
        _restore_slot_data(flow, header)
    highest = 0
    figures_current = False  # the last "stats" effect is newer than every end and queueing
    for kind, seq, payload in records:
        highest = max(highest, seq)
        if kind == "merged":
            if flow is None:
                continue  # only a recovery runs handlers again, and needs the merged values
            entry = out.pending.get(seq)
            if entry is None:
                raise ValueError(f"job {job.job_id!r}: activation {seq} merged before it was queued")
            slot = _slot_of(flow, entry)
            connection = _connection_of(flow, entry, slot)
            data = connection._apply_mapping(entry[2]) if connection is not None else entry[2]
            # A snapshot: an append merge hands out the slot's own lists, which later merges extend.
            out.premerged[seq] = copy.deepcopy(slot.merge(data))
        elif kind in ("done", "failed"):
            figures_current = False
            for effect_kind, effect in payload.get("effects", ()):
                apply_effect(job, effect_kind, effect)
            for child in payload.get("children", ()):
                out.pending[child[0]] = [*child[1:], 0]
                highest = max(highest, child[0])
            out.premerged.pop(seq, None)
            retry = payload.get("retry")
            if retry is not None and seq in out.pending:
                out.pending[seq][5] = retry
            else:
                out.pending.pop(seq, None)
        elif kind == "spawn":
            figures_current = False
            for child in payload:
                out.pending[child[0]] = [*child[1:], 0]
                highest = max(highest, child[0])
        elif kind == "effect":
            apply_effect(job, payload[0], payload[1])
            if payload[0] == "stats":
                figures_current = True
        elif kind == "status":
            job.status = payload
        else:
            raise ValueError(f"job {job.job_id!r}: unknown journal record {kind!r}")
    if not figures_current:
        job.tallies.load(())  # stale (or none): figures the job no longer has would mislead
    out.figures_current = figures_current
    out.next_seq = highest + 1
    job.touch()
    return out


def read_job(store: Any, job_id: str) -> JobState:
    """The recorded state of durable job ``job_id`` as its journal in ``store`` holds it now.

    The job is a snapshot (no engine runs it here): its status is the last
    recorded one, its ``pending_tasks`` are empty, and the state is that of the
    activations whose end was committed. Any process may read it, while the
    job runs elsewhere or after it ended.

    Raises:
        KeyError: the store holds no job ``job_id``.
    """
    replayed = replay(None, store.header(job_id), store.records(job_id))
    return replayed.job


def _activations(flow: Any, replayed: Replayed) -> list[Activation]:
    activations = []
    for seq in sorted(replayed.pending):
        entry = replayed.pending[seq]
        slot = _slot_of(flow, entry)
        activations.append(
            Activation(slot, entry[2], _connection_of(flow, entry, slot), replayed.job, entry[5], seq)
        )
    return activations


def recover_jobs(flow: Any, engine: Engine, store: Any, job_id: str | None = None) -> list[JobState]:
    """Take over the unfinished jobs of ``flow`` in ``store`` whose process died, and run them on.

    A recovered paused job stays paused (``flow.resume(job)`` continues it);
    a running one runs its unfinished activations again. Returns the jobs.

    Raises:
        ValueError: ``job_id`` is not a job of this flow, or the flow's definition differs from the
            one the job started with (its hash), or the journal names what the flow lacks.
        KeyError: the store holds no job ``job_id``.
    """
    binding = StoreBinding.of(store)
    current_hash = flow_hash(flow_definition(flow))
    if job_id is not None:
        header = store.header(job_id)
        _check_flow(flow, header, current_hash)
    claimed = store.claim(binding.owner, job_id=job_id, flow_id=None if job_id else flow.flow_id)
    recovered = []
    for claimed_id in claimed:
        header = store.header(claimed_id)
        _check_flow(flow, header, current_hash)
        replayed = replay(flow, header, store.records(claimed_id))
        recovered.append(_restart(flow, engine, binding, replayed))
    return recovered


def _check_flow(flow: Any, header: JobHeader, current_hash: str) -> None:
    if header.flow_id != flow.flow_id:
        raise ValueError(
            f"job {header.job_id!r} belongs to flow {header.flow_id!r}, not to flow {flow.flow_id!r}"
        )
    if header.flow_hash != current_hash:
        raise ValueError(
            f"job {header.job_id!r} started on another definition of flow {flow.flow_id!r} (hash "
            f"{header.flow_hash[:12]}, this flow's is {current_hash[:12]}); recover it with the flow it "
            "started with"
        )


def _restart(flow: Any, engine: Engine, binding: StoreBinding, replayed: Replayed) -> JobState:
    job = replayed.job
    journal = binding.attach(flow, job, replayed.next_seq)
    journal.premerged.update(replayed.premerged)
    journal.keeps_figures = replayed.figures_current
    if job.status in FINAL_STATUSES:
        return job  # its end was committed; only the store's row had not caught up
    activations = _activations(flow, replayed)
    for member in flow.routines.values():
        member._current_flow = flow
    engine.executor()
    run = engine.track(job)
    # A running job whose entry had not ended runs only its entry again, which counts itself.
    entry_again = job.status != "paused" and 0 in replayed.pending
    engine.control.count_requeued(job, [] if entry_again else activations)
    if job.status == "paused":
        run.gate = PAUSED
        run.held.extend(activations)
        run.tokens.extend(None for _ in activations)
        engine.control.settle(run)
        return job
    run.tokens.append(None)  # held while the activations are queued, so the job cannot finish early
    if entry_again:  # the entry's end was not committed: nothing else was queued yet
        entry_id, _trigger, params = replayed.pending[0][:3]
        run.tokens.append(None)
        engine.run_entry(job, entry_id, flow.routines[entry_id], params)
    else:
        for activation in activations:
            run.tokens.append(None)
            engine.submit(activation)
    engine.release(run)
    return job

