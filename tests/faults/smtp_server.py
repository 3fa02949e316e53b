"""A mail server for the fault run (aiosmtpd on loopback): each message it accepts is one
JSON line in the log file; while the flag file exists it refuses every recipient with
451 (try again later), as a busy or failing relay does.

    python -m tests.faults.smtp_server PORT LOG_FILE REFUSE_FLAG_FILE
"""

import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, log, refuse_flag):
        self.log = log
        self.refuse_flag = refuse_flag

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if os.path.exists(self.refuse_flag):
            return "451 4.3.0 Mail server busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        line = json.dumps({"to": envelope.rcpt_tos, "subject": str(message["Subject"])}) + "\n"
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return "250 Message accepted for delivery"


if __name__ == "__main__":
    port, log, refuse_flag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    controller = Controller(Handler(log, refuse_flag), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
