"""Harvest logic: plain functions over DataFrames and records, importable without Glue."""
