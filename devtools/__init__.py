"""Development tools used from a checkout (tests, `make run`, benchmarks); not part of the job wheel."""
