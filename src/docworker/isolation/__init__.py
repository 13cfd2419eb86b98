"""Isolation: document bytes are handled in killable processes, and jobs stay off the network.

- ``pool``: ``PagePool``, the page processes. Every call that touches document
  bytes (parsing, rendering, OCR) runs in a child process with a memory limit
  and a time budget; a child that overruns is killed and replaced, and its
  task comes back as a typed ``WorkerError`` instead of taking the worker
  down. The pool is also the CPU engine's parallelism (one child per core,
  results in task order).
- ``netguard``: the no-cloud guarantee. While a job is extracted, outbound
  connections made in its context are refused and counted (the count goes to
  ``metadata.network``); ``permit`` lets the job's own download through, and
  ``block_all`` cuts the network of every page process.
- ``tasks``: the functions the page processes run that every engine shares
  (child set-up, the open document, ``probe``, ``render_page``).

Inputs: picklable task objects and dotted function names (``pool``); a
context to guard (``netguard``). Outputs: ``(task, result | WorkerError)``
pairs; a ``GuardReport`` with the blocked-connection count.
"""
