# gpo: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
PORT ?= 5000
STRIPE_PORT ?= 8420
RECEIVER_PORT ?= 8430

.PHONY: install run stop test test-fast lint contract worker demo demo-data stripe-mock webhook-receiver migrate clean

$(BIN)/flask: requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(BIN)/flask

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(BIN)/flask node_modules/.package-lock.json ## the virtualenv with runtime and test dependencies, and the web pages' npm packages

migrate: install
	$(BIN)/flask db upgrade

# The demo's URLs follow the ports: the webhook receiver its endpoints call, and the app's
# own address in e-mail links (each can still be set in the environment).
DEMO_URLS = DEMO_WEBHOOK_RECEIVER_URL=$${DEMO_WEBHOOK_RECEIVER_URL-http://127.0.0.1:$(RECEIVER_PORT)} \
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL-http://127.0.0.1:$(PORT)}

demo-data: migrate ## migrate, then load the demo data (idempotent), its webhooks sent to 127.0.0.1:$(RECEIVER_PORT)
	$(DEMO_URLS) $(BIN)/flask gpo seed-demo

stripe-mock: install ## localstripe on 127.0.0.1:$(STRIPE_PORT), in the background
	@mkdir -p instance
	@if curl -s -o /dev/null http://127.0.0.1:$(STRIPE_PORT)/v1/customers; then \
		echo "localstripe already answers on 127.0.0.1:$(STRIPE_PORT)"; \
	else \
		nohup $(BIN)/python scripts/localstripe_loopback.py --port $(STRIPE_PORT) > instance/localstripe.log 2>&1 & \
		echo $$! > instance/localstripe.pid; \
		echo "localstripe started on 127.0.0.1:$(STRIPE_PORT) (log: instance/localstripe.log)"; \
	fi

webhook-receiver: install ## the demo vendor's webhook receiver on 127.0.0.1:$(RECEIVER_PORT), in the background
	@mkdir -p instance
	@if curl -s -o /dev/null http://127.0.0.1:$(RECEIVER_PORT)/deliveries.json; then \
		echo "the webhook receiver already answers on 127.0.0.1:$(RECEIVER_PORT)"; \
	else \
		nohup $(BIN)/python scripts/webhook_receiver.py --port $(RECEIVER_PORT) \
			--secrets-file $${DEMO_WEBHOOK_RECEIVER_SECRETS-instance/webhook-receiver-secrets} \
			> instance/webhook-receiver.log 2>&1 & \
		echo $$! > instance/webhook-receiver.pid; \
		echo "webhook receiver started on http://127.0.0.1:$(RECEIVER_PORT)/ (what it received: that page)"; \
	fi

run: webhook-receiver demo-data stripe-mock ## serve the API on http://127.0.0.1:$(PORT) (docs at /docs); `make stop` ends what it started
	@echo $$$$ > instance/server.pid; export STRIPE_API_BASE=$${STRIPE_API_BASE-http://127.0.0.1:$(STRIPE_PORT)}; \
		export $(DEMO_URLS); exec $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

stop: ## stop what `make run` left running: localstripe, the webhook receiver, and the server if it runs in the background
	@# Only a process that the pid file names, started from this checkout, running flask, localstripe or the receiver.
	@for name in server localstripe webhook-receiver; do \
		pidfile=instance/$$name.pid; \
		pid=$$(cat $$pidfile 2>/dev/null); \
		if [ -n "$$pid" ] && [ "$$(readlink /proc/$$pid/cwd 2>/dev/null)" = "$(CURDIR)" ] \
			&& tr '\0' ' ' < /proc/$$pid/cmdline 2>/dev/null | grep -Eq 'bin/flask run|localstripe|webhook_receiver'; then \
			kill $$pid && echo "stopped $$name (pid $$pid)"; \
		else \
			echo "$$name: not running"; \
		fi; \
		rm -f $$pidfile; \
	done

demo: install ## with `make run` serving: one whole purchasing cycle over HTTP, paid through localstripe, told by webhooks, e-mail and cXML
	$(BIN)/python scripts/demo_cycle.py --base-url http://127.0.0.1:$(PORT) --stripe-url http://127.0.0.1:$(STRIPE_PORT) \
		--mail-dir $${MAIL_DIR-instance/mail}

worker: install ## an RQ worker (needs REDIS_URL)
	$(BIN)/flask gpo worker

lint: install ## ruff check . (the rules: pyproject.toml [tool.ruff.lint])
	$(BIN)/ruff check .

test: install ## the whole suite (PostgreSQL and Redis too when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install ## the unit tests only (tests/unit: no database, Redis or localstripe), in seconds
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

contract: install ## Schemathesis against a live server with the demo data, as three principals (scripts/contract_check.py)
	$(BIN)/python scripts/contract_check.py $(CONTRACT_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache

.PHONY: bench-api
bench-api: $(BIN)/flask ## the API load benchmark: gunicorn + wrk (apt-get install wrk) on BENCH_DATABASE_URL, which it resets (bench/README.md)
	$(BIN)/python bench/api_load.py $(BENCH_ARGS)
