# Glue emulation and Glue platform checks. Included by the main Makefile (BIN, STAMP, LAKE come from there).
# docs/AWS.md explains each target.

.PHONY: check-glue-wheels

check-glue-wheels: $(STAMP) ## every AdditionalPythonModules pin installs on Glue 5.0 from binary wheels (CPython 3.11, manylinux x86_64, glibc 2.34)
	$(BIN)/python -m devtools.glue_python check-wheels
