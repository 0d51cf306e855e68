"""Turning the workers' result files into reports/results.json and reports/conformance.html."""
