# Open d'Etat forum platform. `make up` runs it locally, `make test` checks it; see README.md.
# Settings come from the environment (deploy/config.yaml lists them): `GATEWAY_PORT=8080 make up`.

VENV := .venv
BIN := $(VENV)/bin
SUPERVISORCTL := $(BIN)/supervisorctl -c deploy/supervisord.conf

.PHONY: help up down status logs migrate organiser-token test lint bench venv local-services compose-tool \
	browser-tool axe

help:
	@echo "make up       start the platform locally (supervisord), wait until ready"
	@echo "make down     stop what make up started"
	@echo "make status   show the processes;  make logs   follow var/log (SERVICE=gateway for one)"
	@echo "make migrate  apply the database migrations of every service"
	@echo "make organiser-token NAME=...  create an organiser token (SCOPE=read for a read-only one)"
	@echo "make test     lint, validate docker-compose.yml, run the test suite (installs Chromium and axe-core first)"
	@echo "make lint     ruff and the docker-compose.yml checks only"
	@echo "make bench    run the benchmarks"

# Reinstall only when pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

local-services:
	@deploy/local-services.sh

up: venv local-services
	@deploy/up.sh

down:
	@deploy/down.sh

status:
	@$(SUPERVISORCTL) status || true

logs:
	tail -n 40 -F var/log/$(or $(SERVICE),*).log

migrate: venv local-services
	$(BIN)/python -m kit.migrations

# Prints the token once (only its digest is kept); list and revoke: python -m services.registration.organisers
organiser-token: venv local-services
	@test -n "$(NAME)" || { echo "usage: make organiser-token NAME=... [SCOPE=read|write]" >&2; exit 2; }
	@$(BIN)/python -m services.registration.organisers create --name "$(NAME)" --scope "$(or $(SCOPE),write)"

# docker-compose.yml requires these (it has no defaults for secrets); placeholders only to validate it.
COMPOSE_CHECK_ENV := SECRET_KEY=x ORGANISER_TOKEN=x POSTGRES_PASSWORD=x RABBITMQ_USER=x RABBITMQ_PASSWORD=x

# The Debian package (1.29.2), not the `docker compose` plugin: it validates without a Docker engine.
compose-tool:
	@command -v docker-compose >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; }

# The browser tier (tests/browser) drives Debian's Chromium through its chromedriver (one version, one
# package source); axe-core, the accessibility checker it injects, comes from npm at the locked version.
browser-tool:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

axe: tests/browser/node_modules/axe-core/axe.min.js

tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm; }
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

lint: venv compose-tool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(COMPOSE_CHECK_ENV) docker-compose -f docker-compose.yml config -q

test: lint local-services browser-tool axe
	$(BIN)/pytest

bench: venv local-services
	$(BIN)/python -m bench
