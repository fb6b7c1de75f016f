"""Tooling for the profile feature store dbt project (data generation, running dbt, online store)."""

__version__ = "0.1.0"
