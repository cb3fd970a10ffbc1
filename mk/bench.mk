# Benchmarks at data.gov scale, side by side with the serial baseline loop (see BENCHMARKS.md).
BENCH_RECORDS ?= 10000,100000
.PHONY: bench bench-full

bench: $(STAMP) ## the workflow on 10k and 100k generated records vs the serial baseline; writes BENCHMARKS.md
	BENCH_RECORDS=$(BENCH_RECORDS) $(BIN)/python -m benchmarks.run_bench

bench-full: $(STAMP) ## as bench, plus 430,000 records (data.gov's size)
	BENCH_RECORDS=10000,100000,430000 $(BIN)/python -m benchmarks.run_bench

.PHONY: bench-extract bench-transform bench-validate
bench-extract: $(STAMP) ## extract alone: a 10,000-file WAF behind 50 ms latency, and a 200 MB data.json
	$(BIN)/python benchmarks/bench_extract.py --files 10000 --catalog-mb 200 --connections-per-host 16

bench-transform: $(STAMP) ## transform alone: real ISO/FGDC samples replicated to 100,000 records
	$(BIN)/python benchmarks/bench_transform.py --records 100000

bench-validate: $(STAMP) ## validate alone: schema checks and GE suites on 100,000 records vs the serial jsonschema loop
	$(BIN)/python benchmarks/bench_validate.py --records 100000
