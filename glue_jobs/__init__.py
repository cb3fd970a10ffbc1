"""Thin AWS Glue job entry points, the runtime shim and the local workflow runner."""
