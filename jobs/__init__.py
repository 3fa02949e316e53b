"""Periodic jobs: their runs, the jobs page for portal admins, `manage.py run_job`."""
