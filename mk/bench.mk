# Benchmarks at data.gov scale, side by side with the serial baseline loop (see BENCHMARKS.md).
BENCH_RECORDS ?= 10000,100000
.PHONY: bench bench-full

bench: $(STAMP) ## the workflow on 10k and 100k generated records vs the serial baseline; writes BENCHMARKS.md
	BENCH_RECORDS=$(BENCH_RECORDS) $(BIN)/python -m benchmarks.run_bench

bench-full: $(STAMP) ## as bench, plus 430,000 records (data.gov's size)
	BENCH_RECORDS=10000,100000,430000 $(BIN)/python -m benchmarks.run_bench
