"""Moved into `featurestore bench --flat-cost` (src/featurestore/bench/flat_cost.py); bench options."""
import sys; from featurestore.cli import app  # noqa: E702, I001
app(["bench", "--flat-cost", "--out", "benchmarks/results", *sys.argv[1:]], prog_name="featurestore")
