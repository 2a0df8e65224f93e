# make test  - the README's test command (creates .venv-test on first use; PYTHON=... to use another)
# make fuzz  - the fuzz tests of tests/reliability with many more examples (FUZZ_EXAMPLES=N)

VENV ?= .venv-test
PYTHON ?= $(VENV)/bin/python
FUZZ_EXAMPLES ?= 3000

.PHONY: test fuzz typecheck

test: $(PYTHON)
	$(PYTHON) -m pytest

fuzz: $(PYTHON)
	TAXMARGIN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTHON) -m pytest -q -p no:cacheprovider tests/reliability/test_rel_fuzz.py

typecheck: $(PYTHON)
	$(PYTHON) tests/typecheck.py

$(VENV)/bin/python:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q -e '.[test]'
