# AWS: package the jobs for S3, scan the stack, run the workflow inside the Glue 5 docker image.
# Included by the main Makefile (BIN, STAMP, LAKE come from there). docs/AWS.md explains each target.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
GLUE_IMAGE := public.ecr.aws/glue/aws-glue-libs:5
# What the container runs (a harvest subcommand); the lake is mounted at /home/hadoop/lake.
GLUE_HARVEST_ARGS ?= --lake /home/hadoop/lake
PROFILE_NAME ?= default
# The runtime libraries Glue installs from --additional-python-modules, read from the stack (quoted for the shell).
GLUE_PYTHON_MODULES = $(shell $(BIN)/python -c 'from devtools.glue_python import additional_python_modules as m; \
    print(" ".join(repr(module) for module in m()))')

.PHONY: package lint-cfn-security glue-docker-run

package: $(STAMP) ## build the project's archive (.zip), its wheel and the job scripts into dist/ (devtools/package.py)
	$(BIN)/python -m devtools.package --dist dist

# checkov's dependencies clash with the pinned Glue stack, so it lives in a venv of its own.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

lint-cfn-security: $(STAMP) $(CHECKOV_VENV)/.installed ## the checkov security scan of the stack (cfn-lint runs in make test)
	$(CHECKOV_VENV)/bin/checkov --directory cloudformation --framework cloudformation --compact --quiet --skip-download

# The spark-submit command AWS documents for the Glue 5.0 image ("Develop and test AWS Glue 5.0 jobs
# locally using a Docker container"), with the project as the workspace and the lake mounted beside it.
# The image has no --additional-python-modules, so the runtime libraries and the wheel are installed
# first, through the image's shell entry point (as AWS's pytest example in the same guide does).
glue-docker-run: package ## run the whole workflow inside the AWS Glue 5.0 docker image with spark-submit
	mkdir -p $(LAKE)
	docker run -it --rm \
	    -v ~/.aws:/home/hadoop/.aws \
	    -v $(CURDIR):/home/hadoop/workspace/ \
	    -v $(abspath $(LAKE)):/home/hadoop/lake/ \
	    --workdir /home/hadoop/workspace \
	    -e AWS_PROFILE=$(PROFILE_NAME) \
	    --name glue5_spark_submit \
	    $(GLUE_IMAGE) \
	    -c "python3 -m pip install --user --quiet $(GLUE_PYTHON_MODULES) \
	        && python3 -m pip install --user --quiet --no-deps dist/glue_harvester-*.whl \
	        && python3 -m devtools.run_samples $(GLUE_HARVEST_ARGS)"
