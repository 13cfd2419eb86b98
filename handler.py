"""RunPod entry point: settings → startup checks → pipeline built once → serverless.start.

``python handler.py`` runs ``test_input.json`` locally (RunPod's local mode);
``python handler.py --rp_serve_api`` serves /run, /runsync and /stream on
localhost:8000. On RunPod the worker pulls jobs from the queue.

Everything runs under ``main()``: page processes are started with the
``spawn`` method, which re-imports this module in each child, so nothing may
happen at import time.

RunPod's SDK logs at DEBUG by default, printing each job's input (presigned
URLs, passwords) and output: ``main()`` sets ``RUNPOD_LOG_LEVEL=INFO`` before
the SDK is imported, unless the operator set a level (the image sets INFO too).
"""

from __future__ import annotations

import sys

from docworker.config import default_runpod_log_level
from docworker.service import build_worker


def main() -> None:
    default_runpod_log_level()  # before runpod is imported: it reads the level then
    worker = build_worker()
    if worker is None:
        sys.exit(1)
    import runpod

    runpod.serverless.start(worker.runpod_config())


if __name__ == "__main__":
    main()
