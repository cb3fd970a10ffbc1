"""Thin AWS Glue job entry points (one per stage) and what Glue needs to start them: arguments, runtime, job context."""
