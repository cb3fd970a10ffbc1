"""Benchmarks at data.gov scale: a seeded catalog generator, the serial baseline loop, and the `make bench` driver."""
