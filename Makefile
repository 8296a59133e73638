# 督导通 — make run / make test work on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 0.0.0.0
PORT ?= 5000

.PHONY: run serve test venv deps test-deps browser-deps bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(VENV)/.deps: requirements.txt $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt requirements.txt $(VENV)/.deps
	$(PIP) install -q -r requirements-test.txt
	touch $@

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

# Debian's chromium and CJK fonts for the browser tests (playwright cannot download a browser here),
# and LibreOffice (writer, calc) with poppler-utils: the documents are checked as an office prints them;
# Caddy: the HTTPS deployment (deploy/Caddyfile) is tested through it.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || ! command -v caddy >/dev/null \
	    || ! command -v soffice >/dev/null || [ ! -d /usr/lib/libreoffice/program ] \
	    || ! dpkg -s libreoffice-writer libreoffice-calc >/dev/null 2>&1 || ! command -v pdftotext >/dev/null; then \
	  echo "installing chromium, fonts-noto-cjk, libreoffice-writer, libreoffice-calc, poppler-utils and caddy with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
	    chromium fonts-noto-cjk libreoffice-writer libreoffice-calc poppler-utils caddy; \
	fi

run: deps
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo "督导通已启动：http://$$(hostname -I 2>/dev/null | awk '{print $$1}' || echo 127.0.0.1):$(PORT)/  （本机 http://127.0.0.1:$(PORT)/）"
	$(VENV)/bin/gunicorn -w 2 --threads 4 -b $(HOST):$(PORT) --access-logfile - wsgi:app

# Production start (deploy/dudaotong.service runs this): SECRET_KEY must be set; gunicorn with
# 2×CPU+1 workers on 127.0.0.1:5000 behind Caddy (deploy/Caddyfile), trusting its X-Forwarded-*.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 + 1 )))
BIND ?= 127.0.0.1:$(PORT)
# A service start never installs anything (no network needed, no half-installed venv): an
# upgrade runs `make deps` first (README「升级」).
serve:
	@test -f $(VENV)/.deps && test ! requirements.txt -nt $(VENV)/.deps || { echo "依赖未安装或已过期：请先以应用用户运行 make deps"; exit 1; }
	@test -n "$$SECRET_KEY" || { echo "请先设置 SECRET_KEY（如 export SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_hex(32))')）"; exit 1; }
	APP_ENV=production $(FLASK) db upgrade
	APP_ENV=production PROXY_FIX=$${PROXY_FIX:-1} exec $(VENV)/bin/gunicorn -w $(WORKERS) --threads 4 -b $(BIND) \
	  --forwarded-allow-ips 127.0.0.1 --access-logfile - wsgi:app

# The whole suite on SQLite (browser tests included), then the non-browser tests again on a
# throwaway PostgreSQL cluster: nothing may be SQLite-only.
test: test-deps browser-deps
	$(PY) -m pytest -q -n 2 --dist loadgroup
	scripts/with-postgres.sh $(PY) -m pytest -q -n 2 --ignore=tests/browser -k "not migrations"

bench: test-deps browser-deps
	$(PY) bench/metrics.py
	$(PY) bench/photos.py
	$(PY) bench/report.py
	$(PY) bench/pages.py
	$(PY) bench/import.py
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache tests/output
