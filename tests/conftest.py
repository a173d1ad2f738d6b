"""Hypothesis profiles: ``ci`` (default, fixed counts, derandomized) and ``deep`` (on demand).

Run the deep profile with ``make deep`` (``HYPOTHESIS_PROFILE=deep pytest -n auto``): every
property with the deep profile's counts, the counts written ``scaled(n)`` ten times larger.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep",
    max_examples=5000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
    # Hypothesis sometimes draws a literal found in the project's modules loaded so far
    # (``providers._get_local_constants``): with derandomize=True the examples of a property
    # then depend on which tests ran before it in the worker, so a run of one file and
    # ``make test`` saw different examples (a failure of test_live_day found alone was never
    # seen in the suite). The CI profile draws without them: the same examples in any order.
    from hypothesis.internal.conjecture import providers as _providers

    if hasattr(_providers, "_get_local_constants"):
        _providers._get_local_constants = lambda: _providers._local_constants

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"


def scaled(n: int) -> int:
    """A fixed example count for a costly property: ``n`` in CI, ten times more in deep runs."""
    return 10 * n if DEEP else n


def pytest_collection_modifyitems(config, items):
    """The tests marked ``long`` (a notebook, a browser, processes killed) run first: spread
    over the xdist workers from the start, they do not leave one worker finishing alone."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
