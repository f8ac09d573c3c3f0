"""Shared test set-up: Hypothesis profiles (``HYPOTHESIS_PROFILE=ci|dev|thorough``)."""

import os
import random

# httpx imports httpcore only when a transport is first made, and maps its errors by class. pytester takes out
# of sys.modules, when its test ends, every module imported during it: had httpcore been first imported there,
# the next test's httpx would meet errors of a second httpcore it does not map (a timeout raised as
# httpcore.ReadTimeout, not httpx's). Imported here, before any test, it is never taken out.
import httpcore  # noqa: F401
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=40, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: Contract runs in the tests use seed 0 and one more that changes with every `make test` run,
#: printed in the header; set CONTRACTS_TEST_SEED to replay one. The controller picks it before
#: the xdist workers start, and they inherit it, so every worker collects the same test ids.
SEED_VARIABLE = "CONTRACTS_TEST_SEED"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        os.environ.setdefault(SEED_VARIABLE, str(random.SystemRandom().randrange(2**32)))


def pytest_report_header(config):
    return f"contract runs at seeds 0 and {os.environ[SEED_VARIABLE]} (replay: {SEED_VARIABLE}=N make test)"


def contract_seeds():
    """Seed 0, and this run's changing seed (in the test id, so a failure names it)."""
    return [0, int(os.environ[SEED_VARIABLE])]
