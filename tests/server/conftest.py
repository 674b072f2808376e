import pytest

pytest.importorskip  # the service extra is part of the test extra: a missing one must fail
import litestar  # noqa: E402,F401  (fails loudly: pip install 'tickbook[service]')
