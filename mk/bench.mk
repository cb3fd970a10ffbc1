# Benchmarks at data.gov scale, side by side with data.gov's serial loop (see BENCHMARKS.md).
# Parts: fixed (BENCH_FIXED_RECORDS, 500 records from disk: seconds and Spark jobs per stage),
# sizes (BENCH_RECORDS), side (BENCH_SIDE_RECORDS data.json records over loopback HTTP),
# scaleout (BENCH_SCALEOUT_RECORDS, local[1] / local[2] / a 2-worker standalone cluster).
# BENCH_PARTS=side,scaleout runs only those; the others keep their last figures on the page.
BENCH_RECORDS ?= 10000,100000
BENCH_PARTS ?= fixed,sizes,side,scaleout
.PHONY: bench bench-full bench-scaleout

bench: $(STAMP) ## fixed cost (500), sizes 10k and 100k, side by side with data.gov's loop (100k over HTTP), scale-out; writes BENCHMARKS.md
	BENCH_RECORDS=$(BENCH_RECORDS) BENCH_PARTS=$(BENCH_PARTS) $(BIN)/python -m benchmarks.run_bench

bench-full: $(STAMP) ## as bench, with 430,000 records (data.gov's size) among the sizes
	BENCH_RECORDS=10000,100000,430000 BENCH_PARTS=$(BENCH_PARTS) $(BIN)/python -m benchmarks.run_bench

bench-scaleout: $(STAMP) ## only the scale-out part: first harvest on local[1], local[2] and a 2-worker cluster
	BENCH_PARTS=scaleout $(BIN)/python -m benchmarks.run_bench

.PHONY: bench-extract bench-transform bench-validate bench-floor
bench-extract: $(STAMP) ## extract alone: a 10,000-file WAF behind 50 ms latency, and a 200 MB data.json
	$(BIN)/python -m benchmarks.bench_extract --files 10000 --catalog-mb 200 --connections-per-host 16

bench-transform: $(STAMP) ## transform alone: real ISO/FGDC samples replicated to 100,000 records
	$(BIN)/python -m benchmarks.bench_transform --records 100000

bench-validate: $(STAMP) ## validate alone: schema checks and GE suites on 100,000 records vs the serial jsonschema loop
	$(BIN)/python -m benchmarks.bench_validate --records 100000

bench-floor: $(STAMP) ## a first data.json harvest's CPU by stage (JIT, GC, JVM, Python) against the floor of its record work
	$(BIN)/python -m benchmarks.bench_floor --records 100000
