"""Build-time steps for the docworker image: system packages and pinned model weights.

Nothing here is imported by the worker at run time; ``fetch_models.py`` is
also run as a plain script inside the Docker build (stdlib + huggingface_hub).
"""
