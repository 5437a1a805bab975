# crossref: the two commands of the README, each setting up everything it needs.
#   make sweep   the main job: a crossref sweep over the ATen operators (pytest -n auto)
#   make test    the harness's own tests
#   make docs    the docs tree (docs/), built strictly
# TORCH picks the torch to test (default: the pinned CPU build); ARGS passes pytest options.

PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
PROFILE ?= ci
ARGS   ?=
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.crossref-installed

.PHONY: sweep test setup docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=70.1"  # 70.1+ builds wheels on its own (tests build one)
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[docs]"
	touch $@

# pytest exits 1 when it finds mismatches: that is a result, not a broken run.
# --crossref-impact: the findings replayed through torch.compile at the end, within the
# profile's budget (IMPACT=0 leaves it out).
IMPACT ?= 1
IMPACT_ARG = $(if $(filter 1,$(IMPACT)),--crossref-impact,)
sweep: $(STAMP)
	$(BIN)/python -m pytest -n auto -q --hypothesis-profile $(PROFILE) $(IMPACT_ARG) $(ARGS); \
	  rc=$$?; if [ $$rc -eq 0 ] || [ $$rc -eq 1 ]; then exit 0; else exit $$rc; fi

test: $(STAMP)
	$(BIN)/python -m pytest tests -n auto -q $(ARGS)

# The docs (docs/, mkdocs.yml): a broken link or a page left out of the nav fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict -q

clean:
	rm -rf $(VENV) .hypothesis reports/2* reports/latest
