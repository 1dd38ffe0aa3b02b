# One entry point for humans and CI. `make install` needs only Python 3.11 and pip.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_LINK_MODE = copy
# use the machine's Python 3.11: nothing is fetched at run time
export UV_PYTHON_DOWNLOADS = never

.PHONY: install up demo test test-unit lint bench
install:  ## install uv (if missing) and every workspace package into .venv, from the lock file; the tools tests call
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || (python3 -m venv .tools && .tools/bin/pip install --quiet uv)
	$(UV) sync --all-packages --frozen
	bash .ci/test-tools

up:  ## run the whole stack on embedded PostgreSQL + the local broker (Ctrl-C stops it)
	.venv/bin/meterbot up

test:  ## unit, integration and e2e tests over real PostgreSQL and the real broker
	.venv/bin/python -m pytest

test-unit:  ## the unit tier only (no I/O): seconds, for every edit
	.venv/bin/python -m pytest -m unit -q

lint:  ## ruff check, ruff format --check, mypy --strict over the whole tree
	.ci/lint

bench:
	.venv/bin/python bench/eventstore.py
