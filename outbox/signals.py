"""Sent when a service writes a task to the outbox: `sender` is the task's name. The jobs
app counts them per run (emails among them), as it counts tasks published straight."""

from django.dispatch import Signal

message_queued = Signal()
