# The workflow on a Spark standalone cluster on this machine (devtools/spark_cluster.py).
# Included by the main Makefile (BIN, STAMP come from there).
CLUSTER_WORK ?= .spark-cluster

.PHONY: run-cluster

run-cluster: $(STAMP) ## harvest the samples locally and on a 2-worker Spark standalone cluster (127.0.0.1); fail if the catalogs differ
	$(BIN)/python -m devtools.spark_cluster check --work $(CLUSTER_WORK)
