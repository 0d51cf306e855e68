"""The ops behind ``nn.functional``, one module per subject; ``nn/functional.py`` re-exports them."""
