"""Agreement of docworker's checks scorer with the corpus's reference scorer.

``python -m bench.quality.agree OUTDIR [OUTDIR...] [--corpus DIR]`` scores each
output folder with ``bench.quality.checks`` and with ``corpus/checks/score_checks.py``
(which needs rapidfuzz and fuzzysearch) and prints, per folder, how many check
results agree (pass/fail and skipped, per check id) and every disagreement.
Exit 0 when all agree, 1 on any disagreement, 2 when the reference cannot run.

Inputs: output folders in the layout the checks README describes. Outputs:
``compare(...)`` dicts; a printed report.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.quality.checks import CheckResult, load_checks, score_outputs

_log = logging.getLogger(__name__)


def reference_scorer(corpus: Path) -> ModuleType | str:
    """The reference scorer module, or why it cannot be loaded."""
    path = corpus / "checks" / "score_checks.py"
    if not path.is_file():
        return f"no reference scorer at {path}"
    spec = importlib.util.spec_from_file_location("_reference_score_checks", path)
    if spec is None or spec.loader is None:
        return f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        return f"reference scorer needs {e.name} (pip install -r bench/requirements.txt)"
    return module


def compare(
    outdir: Path,
    checks: list[dict[str, Any]],
    corpus: Path,
    reference: ModuleType,
    mine: list[CheckResult] | None = None,
) -> dict[str, Any]:
    """Per-check agreement of the two scorers on one output folder."""
    ours = mine if mine is not None else score_outputs(outdir, checks, corpus)
    theirs = {
        c["id"]: (ok, why, skipped)
        for c, ok, why, skipped in reference.score(str(outdir), checks, str(corpus))
    }
    disagreements = []
    for r in ours:
        ok, why, skipped = theirs[r.id]
        if (r.passed, r.skipped) != (bool(ok), bool(skipped)):
            disagreements.append(
                {
                    "id": r.id,
                    "mine": "skipped" if r.skipped else r.passed,
                    "reference": "skipped" if skipped else bool(ok),
                    "mine_why": r.why,
                    "reference_why": why,
                }
            )
    return {
        "checks": len(ours),
        "agree": len(ours) - len(disagreements),
        "disagreements": disagreements,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdirs", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    args = parser.parse_args(argv)
    reference = reference_scorer(args.corpus)
    if isinstance(reference, str):
        print(reference)
        return 2
    checks = load_checks(args.corpus / "checks" / "checks.jsonl")
    worst = 0
    for outdir in args.outdirs:
        result = compare(outdir, checks, args.corpus, reference)
        print(f"{outdir}: {result['agree']}/{result['checks']} check results agree")
        for d in result["disagreements"]:
            print(
                f"  {d['id']}: mine={d['mine']} ({d['mine_why']});"
                f" reference={d['reference']} ({d['reference_why']})"
            )
            worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
