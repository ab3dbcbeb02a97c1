# mediaplan — common tasks. `make demo` and `make test` are the README's first two commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo serve test test-fast bench bench-search bench-load bench-scale eval snapshot messages clean

$(BIN)/mediaplan: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(BIN)/mediaplan

demo: install  ## the whole path offline on SQLite, then the dashboard
	$(BIN)/mediaplan demo
	@echo "Bảng điều khiển: http://127.0.0.1:8000  (Ctrl+C để dừng)"
	$(BIN)/mediaplan serve

test: install  ## the whole suite (SQLite; PostgreSQL tests too when it is reachable, always in CI)
	$(BIN)/python -m pytest -q

test-fast: install  ## the edit-test loop: SQLite only, no slow, end-to-end, browser or Redis tests
	$(BIN)/python -m pytest -q -m "not (slow or e2e or browser or redis or pg)"

bench: install
	$(BIN)/python -m mediaplan.bench

bench-search: install  ## /items?q= at N items (default 100000) on SQLite and PostgreSQL, without and with the search index
	$(BIN)/python -c "from mediaplan.bench import search_scale; search_scale($(or $(N),100000))"

bench-scale: install  ## N items (default 1000000) in PostgreSQL cloned in SQL: the month's report, dashboard, list, search, 50 users
	$(BIN)/python -c "from mediaplan.bench import bench_scale; bench_scale($(or $(N),1000000))"

bench-load: install  ## USERS (default 50) signed-in users at once on the configured database: p50/p95/p99 of /, /items, a search
	$(BIN)/python -c "from mediaplan.bench import concurrent_users; from mediaplan.settings import get_settings; \
	concurrent_users(get_settings().db_url, users=$(or $(USERS),50), workers=$(or $(WORKERS),2))"

eval: install
	$(BIN)/python -m mediaplan.crawler.evaluate
	$(BIN)/python -m mediaplan.nlp.evaluate

snapshot: install  ## re-render the offline snapshot after editing mediaplan/snapshot/content*.yaml
	$(BIN)/python -m mediaplan.snapshot.build

messages: install  ## re-extract the pages' strings and update the English catalogue (then translate the new entries)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-by-file --omit-header -k N_ -o mediaplan/locale/messages.pot .
	$(BIN)/pybabel update -i mediaplan/locale/messages.pot -d mediaplan/locale -l en --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf var out .pytest_cache
