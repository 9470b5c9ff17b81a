# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install bench bench-venv camp catalogues messages

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## The translation catalogues (locale/, library_locale/) compiled for gettext; stale ones only.
catalogues: $(STAMP)
	$(PY) -m core.catalogues

## After changing a translatable string: update every language's catalogue from the source (docs/languages.md).
messages: $(STAMP)
	DJANGO_DEBUG=1 $(PY) -m core.catalogues messages

## Serve MedCamp on SQLite at http://127.0.0.1:8000 with a demo camp (seeded on first start).
run: $(STAMP) catalogues
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py ensure_dev_admin
	DJANGO_DEBUG=1 AUDIT_CONSOLE=off $(PY) manage.py seed_demo
	@echo "Open http://$(HOST):$(PORT)/admin/ and http://$(HOST):$(PORT)/api/v1/docs/"
	DJANGO_DEBUG=1 MEDCAMP_ALL_INTERFACES=$(if $(filter 0.0.0.0,$(HOST)),1,0) $(PY) manage.py runserver $(HOST):$(PORT)

## A camp on one laptop: production-like (gunicorn, WhiteNoise, SQLite in WAL) on every interface.
CAMP_ENV = DJANGO_DEBUG=0 MEDCAMP_ALL_INTERFACES=1 SECRET_KEY="$$(cat var/secret-key)" PROMETHEUS_MULTIPROC_DIR=var/metrics
camp: $(STAMP) catalogues var/secret-key
	$(CAMP_ENV) $(PY) manage.py migrate --noinput
	$(CAMP_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@$(CAMP_ENV) $(PY) -c "from core.net import own_addresses; print('Open on a phone on this network:'); [print(f'  http://{a}:$(PORT)/admin/') for a in own_addresses()]"
	$(CAMP_ENV) $(VENV)/bin/gunicorn clinic.wsgi -c clinic/gunicorn_conf.py -b 0.0.0.0:$(PORT) -w 1 --threads 8 --graceful-timeout 30

var/secret-key:
	mkdir -p var && umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

## Install what the tests need and run the whole suite.
test: $(STAMP) catalogues
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	MEDCAMP_TESTING=1 $(VENV)/bin/mypy .
	MEDCAMP_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

## Benchmarks (run by hand; figures in docs/performance.md).
.venv-bench/.installed: requirements.txt requirements-dev.txt requirements-bench.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -r requirements-bench.txt
	touch .venv-bench/.installed

bench-venv: .venv-bench/.installed

bench: $(STAMP) bench-venv
	$(PY) bench/audit_cost.py
	$(PY) bench/camp_day.py
	.venv-bench/bin/python bench/audit_save.py
