"""gunicorn settings, read from the working directory by `make serve`, `make load` and
`make faults` (command-line flags such as --workers still win)."""

# Keep idle connections open longer than whatever sits in front of gunicorn keeps them (a
# load balancer's idle timeout is typically 60 s). With gunicorn's default of 2 s, it
# closes a kept-alive connection just as the next request is sent down it, and that
# person gets "connection reset": `make load` saw a few in every run.
keepalive = 75
