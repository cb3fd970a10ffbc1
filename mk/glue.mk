# Glue emulation and Glue platform checks. Included by the main Makefile (BIN, STAMP, LAKE and
# GLUE_VERSION come from there). docs/AWS.md explains each target.
# One emulation venv per Glue version, so switching GLUE_VERSION back and forth rebuilds nothing.
GLUE_VENV := .venv-glue-$(GLUE_VERSION)
GLUE_LAKE ?= lake-glue
# Extra options of the emulation, e.g. GLUE_SUBMIT_ARGS='--force --compare lake'
GLUE_SUBMIT_ARGS ?=

.PHONY: check-glue-wheels glue-submit-run

# The check resolves against requirements-glue-$(GLUE_VERSION).txt itself, whatever .venv holds: it needs
# a .venv (made by install when there is none), not one with that version's pins, so checking each
# version in turn does not reinstall .venv each time.
$(BIN)/python:
	@$(MAKE) --no-print-directory install

check-glue-wheels: | $(BIN)/python ## every AdditionalPythonModules pin installs on Glue GLUE_VERSION from binary wheels (CPython 3.11, manylinux x86_64, glibc 2.34)
	$(BIN)/python -m devtools.glue_python check-wheels --glue-version $(GLUE_VERSION)

glue-submit-run: package ## run the five jobs as Glue does: spark-submit, the project archive in --py-files, Glue's arguments (into ./lake-glue)
	$(BIN)/python -m devtools.glue_submit --glue-version $(GLUE_VERSION) --lake $(GLUE_LAKE) --venv $(GLUE_VENV) $(GLUE_SUBMIT_ARGS)
