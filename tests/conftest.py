"""Shared pytest configuration: Hypothesis profiles.

Two profiles (docs/reliability.md):

- ``ci`` (the default): 200 examples per property, no deadline (timings vary between machines),
  and ``derandomize=True`` so that every run explores the same examples and a red build can be
  reproduced exactly;
- ``dev``: 25 examples, randomised, for a quick loop while editing.

Choose one with the environment variable ``HYPOTHESIS_PROFILE``, e.g.
``HYPOTHESIS_PROFILE=dev python -m pytest tests/test_properties.py``. A test that sets its own
``@settings(max_examples=...)`` keeps that number under either profile.
"""
import os
import warnings

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    # Large arrays are drawn on purpose (N up to 50, D up to 20).
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_runtest_makereport(item, call):
    """When a property fails, Hypothesis' pytest plugin imports ``hypothesis.extra._patching``,
    which imports ``libcst``, which emits a ``DeprecationWarning`` while importing. With warnings
    turned into errors (setup.cfg) that crashes pytest with an INTERNALERROR hiding the failing
    example, so the import is done here first, with that warning silenced, on failures only."""
    if call.excinfo is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                import hypothesis.extra._patching  # noqa: F401
            except ImportError:
                pass


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's, driven by playwright), one for the whole session: the
    site's pages and the players are all loaded in it (tests/test_site.py has its settings)."""
    from playwright.sync_api import sync_playwright
    from test_site import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
