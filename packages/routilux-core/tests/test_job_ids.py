"""Job ids: every JobState gets a random version 4 UUID string, written as ``str(uuid.UUID)`` writes it."""

from __future__ import annotations

import uuid

from routilux import Flow, JobState, Routine


def test_job_ids_are_canonical_version_4_uuids() -> None:
    for _ in range(2000):
        job_id = JobState().job_id
        parsed = uuid.UUID(job_id)
        assert str(parsed) == job_id  # lower-case hex, 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_job_ids_use_every_variant_digit() -> None:
    # The variant digit carries two random bits: all of 8, 9, a and b turn up.
    digits = {JobState().job_id[19] for _ in range(400)}
    assert digits == {"8", "9", "a", "b"}


class _Entry(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", handler=lambda **kw: None)


def test_each_execute_makes_a_job_with_its_own_uuid() -> None:
    flow = Flow(flow_id="ids", execution_strategy="sequential")
    flow.add_routine(_Entry(), "entry")
    try:
        jobs = [flow.execute("entry") for _ in range(50)]
        for job in jobs:
            assert JobState.wait_for_completion(flow, job, timeout=30)
    finally:
        flow.shutdown()
    ids = [job.job_id for job in jobs]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(job_id).version == 4 for job_id in ids)
