"""The same numbers for the same seed: digests of draws and of a sweep, computed with the code
of commit e0bb1e0 (before the fast sampling path), so that any speed-up that changes a single
wish, a single terrain or a single metric fails here."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from affectation.datasets import generate
from affectation.preferences import PreferenceModel
from affectation.scenarios import BASE, open_postes
from affectation.sweep import sweep

SAMPLES_DIGEST = "788ba5612354027815a889551da01dd77831a0c0e662f3be6d7737ee251e18d8"
ASSIGNMENTS_DIGEST = "f9e476fe615a68fcb4d9f990f653628c27a16d33866a712c02abcbdd2cd3a84c"
METRICS_DIGEST = "b25871903ed9e45f4dd08c7eb61b449b510e91002089cecd731a56994028049d"


@pytest.fixture(scope="module")
def setting():
    instance = generate(150, seed=11)
    assert len(instance.couples) == 2  # the digests cover couples' joint lists too
    return instance, PreferenceModel.from_instance(instance)


def test_draws_are_those_of_the_old_code(setting) -> None:
    instance, model = setting
    digest = hashlib.sha256()
    for k in range(5):
        drawn = model.sample(instance, np.random.default_rng(k))
        digest.update(json.dumps([list(i.voeux) for i in drawn.internes]).encode())
        digest.update(json.dumps([[list(p) for p in c.voeux] for c in drawn.couples]).encode())
    assert digest.hexdigest() == SAMPLES_DIGEST


def test_sweep_numbers_are_those_of_the_old_code(setting) -> None:
    instance, model = setting
    result = sweep(instance, (BASE, open_postes("urgences", 2)), n_samples=12, seed=7,
                   model=model, executor="inline")
    digest = hashlib.sha256()
    for array in result.assignments:
        digest.update(np.ascontiguousarray(array.astype(np.int32)).tobytes())
    assert digest.hexdigest() == ASSIGNMENTS_DIGEST
    metrics = hashlib.sha256(result.samples.to_csv(index=False).encode()).hexdigest()
    assert metrics == METRICS_DIGEST
    means = result.summary().query("metric == 'premier_voeu'")["mean"].tolist()
    assert means == pytest.approx([0.45, 0.46166666666666667])
