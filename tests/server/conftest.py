# the service extra is part of the test extra: without it these tests fail loudly
# (pip install 'tickbook[service]'), they are never skipped
import litestar  # noqa: F401
