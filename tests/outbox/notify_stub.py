"""A stub of GOV.UK Notify's HTTP API on loopback, never the network, and the `notify`
fixture that points the portal's Notify settings at it (a made-up key and template ids).
Test modules that send through Notify import the fixture."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
EMAIL_TEMPLATE = str(uuid.uuid4())
SMS_TEMPLATE = str(uuid.uuid4())


class NotifyStub:
    """Notify's /v2/notifications/{email,sms} on loopback: records each request and answers
    201, or the status and errors queued in `answers`."""

    def __init__(self):
        self.requests = []
        self.answers = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                stub.requests.append(
                    {
                        "path": self.path,
                        "body": json.loads(self.rfile.read(length)),
                        "authorization": self.headers["Authorization"],
                    }
                )
                status, payload = (
                    stub.answers.pop(0) if stub.answers else (201, {"id": str(uuid.uuid4())})
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def refuse(self, status, message):
        self.answers.append(
            (
                status,
                {"status_code": status, "errors": [{"error": "BadRequest", "message": message}]},
            )
        )

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify(settings):
    stub = NotifyStub()
    settings.NOTIFY_API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_BASE_URL = stub.url
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE
    settings.EMAIL_BACKEND = "outbox.notify.NotifyEmailBackend"
    yield stub
    stub.stop()
