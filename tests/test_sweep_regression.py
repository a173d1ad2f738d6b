"""The same numbers for the same seed: digests of draws and of a sweep, first computed with the
code of commit e0bb1e0 (before the fast sampling path), so that any speed-up that changes a single
wish, a single terrain or a single metric fails here. Re-pinned once, at the merge of issue 16,
because the generator itself changed (a subdivision of 2026 on mg-2023); the sampling and the
sweep code were unchanged by that merge."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from affectation.datasets import generate
from affectation.preferences import PreferenceModel
from affectation.scenarios import BASE, open_postes
from affectation.sweep import sweep

SAMPLES_DIGEST = "7626779a37ab1eda66cf367422a30827c1d46beda03b089afaa14fa506bee520"
ASSIGNMENTS_DIGEST = "6bcaa274c28a79f52299e8e6ca55ffa68e2d0c3c52c02c2cd10b73581c41cd5a"
METRICS_DIGEST = "72da8c5356cbb9d390ea24bf2fb3a85f67de4b175653e965b4d880c9e5a96d42"


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
    assert means == pytest.approx([0.5205555555555555, 0.53])
