"""pytest plugin (registered through the ``pytest11`` entry point): scenario collection and result files."""
