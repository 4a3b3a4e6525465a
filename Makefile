# The two commands of the README: `make run` and `make test`. Everything a fresh
# clone needs is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo run test install install-dev translations messages browser npm assets serve clean

# The outbox worker runs beside the web server and stops with it.
run: install translations assets
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	export PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/flask worker & worker=$$!; trap 'kill $$worker 2>/dev/null' INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT); status=$$?; kill $$worker 2>/dev/null; exit $$status

# Demo accounts and tickets for a look around (logins in the README); then `make run`.
demo: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed --demo

test: install-dev translations assets browser
	$(BIN)/python -m pytest

# Production: gunicorn (gunicorn.conf.py) behind one reverse proxy (deploy/nginx.conf).
# Needs SECRET_KEY; reads DATABASE_URL (PostgreSQL) and REDIS_URL. See README "Production".
serve: install translations assets
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	PROXY_HOPS=$${PROXY_HOPS:-1} $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Compiled catalogs are build output, not committed.
translations: install
	@if [ -d volunteer/translations ]; then $(BIN)/pybabel compile -d volunteer/translations >/dev/null; fi

# Re-extract the strings and merge them into the catalogs (then translate the new ones).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot --no-location --sort-output volunteer >/dev/null
	$(BIN)/pybabel update -i messages.pot -d volunteer/translations -l en --init-missing --no-fuzzy-matching --ignore-obsolete
	rm -f messages.pot

# Debian's Chromium for the browser tests; never a browser download.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: browser tests will skip"; \
	  else echo "chromium missing and not root: browser tests will skip"; fi; }

# Debian's npm for the map's assets, installed like Chromium so `make run` stays one command.
npm:
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is needed for the map's Leaflet assets: apt-get install npm (as root)"; exit 1; fi; }

# Leaflet and leaflet.markercluster from npm (exact versions in package-lock.json),
# copied into an ignored static folder so the ward map needs no CDN. axe-core is copied
# beside them for the browser tests only: they inject it; no page links to it.
VENDOR := volunteer/static/vendor
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json | npm
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp -R node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css $(VENDOR)/leaflet.markercluster/
	mkdir -p $(VENDOR)/axe-core
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe-core/
	touch $@

clean:
	rm -rf $(VENV) instance
