# The Notify stub's fixture, for this package's tests.
from tests.outbox.notify_stub import notify  # noqa: F401
