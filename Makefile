# Pharmacy Digital Portal. `make run` to try it, `make test` to check it.
SHELL := /bin/bash
UV ?= uv
PY := $(UV) run --frozen python
HOST ?= 127.0.0.1
PORT ?= 8000
# Emailed links point here; set PORTAL_BASE_URL to override (behind a proxy, say).
PORTAL_BASE_URL ?= http://$(HOST):$(PORT)

.DEFAULT_GOAL := help
.PHONY: help install run serve worker beat test test-fast lint format check-deploy demo-codes bench faults load mutate

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

.venv/.installed: pyproject.toml uv.lock
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: .venv/.installed node_modules/.installed ## Install Python and front-end packages

run: install ## Install, migrate, load demo data, serve on http://127.0.0.1:8000 with a worker and beat
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@mkdir -p var
	HOST=$(HOST) PORT=$(PORT) PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(UV) run --frozen honcho start -f Procfile

serve: install ## Serve with gunicorn as production does (needs DJANGO_ENV=production settings)
	$(PY) manage.py collectstatic --no-input
	$(UV) run --frozen gunicorn pharmacy_portal.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3} --access-logfile -

worker: install ## Run a Celery worker on its own (make run starts one)
	$(UV) run --frozen celery -A pharmacy_portal worker --loglevel=INFO

beat: install ## Run Celery beat, the periodic scheduler, on its own (exactly one per portal)
	@mkdir -p var
	$(UV) run --frozen celery -A pharmacy_portal beat --loglevel=INFO \
		--schedule=var/celerybeat-schedule --pidfile=var/celerybeat.pid

demo-codes: install ## Print the current two-factor codes of the demo personas
	$(PY) manage.py demo_codes

# Tests run on every core (pytest-xdist); PYTEST_WORKERS=0 runs them in one process. Branch
# coverage is measured and gated (fail_under in pyproject.toml). The last line says what
# was skipped and why (tests/skip_report.py).
test: install ## Install and run the whole suite (uses DATABASE_URL and REDIS_URL when set)
	@skips=$$(mktemp); status=0; \
	PORTAL_SKIP_REPORT=$$skips $(UV) run --frozen python -m pytest -p tests.skip_report \
		-n $${PYTEST_WORKERS:-auto} -m "not real_worker" --cov --cov-report= $(PYTEST_ARGS) \
		|| status=$$?; \
	PORTAL_SKIP_REPORT=$$skips $(UV) run --frozen python -m tests.run_worker_tests $(PYTEST_ARGS) \
		|| status=1; \
	$(UV) run --frozen python -m tests.skip_report $$skips || status=1; \
	rm -f $$skips; exit $$status

mutate: install ## Mutation score of a rule module against its tests (MODULE=smartcards/validators.py; none: each in turn, long)
	$(UV) run --frozen python -m tests.mutation $(MODULE)

lint: install ## Lint, formatting, the import layers and thin views (docs/design.md)
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports --no-cache
	$(UV) run --frozen python scripts/check_views.py

format: install ## Fix lint and formatting where ruff can
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

check-deploy: install ## Django's deployment checks under production settings
	DJANGO_ENV=production SECRET_KEY=$${SECRET_KEY:-check-deploy-only-$$(date +%s)-a-long-random-looking-value-0123456789} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-portal.example.nhs.uk} \
	DATABASE_URL=$${DATABASE_URL:-postgres://localhost/portal} REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} \
	PORTAL_BASE_URL=$${PORTAL_BASE_URL:-https://portal.example.nhs.uk} \
	$(PY) manage.py check --deploy --fail-level WARNING

bench: install ## Time the portal at national scale against hand-written floors (BENCH=area to pick)
	$(UV) run --frozen python -m benchmarks.run $(BENCH)

faults: install ## Kill the worker, Redis and PostgreSQL mid-run and check the portal copes (own services)
	$(UV) run --frozen python tests/faults/run_faults.py

load: install ## Drive gunicorn, PostgreSQL, Redis and a worker with 50 locust users; print the figures
	$(UV) run --frozen python -m loadtest.run
