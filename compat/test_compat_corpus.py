"""The committed corpus of mutated documents, read by the baseline and by us.

Every document is validated from the same bytes by both. Where both accept, both must
write back the same document. Where only the baseline accepts, every problem we report
must be explained by a documented difference (``baseline.DIFFERENCES``). We must never
accept what the baseline rejects. And every documented difference must actually occur
in the corpus, so the list cannot hold a rule nothing exercises.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import purelms_shared

TOOLS = Path(__file__).resolve().parents[1] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import baseline  # noqa: E402
import compat_corpus  # noqa: E402

PARSERS: dict[str, Callable[[bytes], Any]] = {
    "SimulationInputEnvelope": purelms_shared.parse_input_envelope,
    "SimulationOutputEnvelope": purelms_shared.parse_output_envelope,
    "EvidenceManifest": purelms_shared.parse_evidence_manifest,
}


@dataclass(frozen=True)
class Outcome:
    model: str
    mutation: str
    document: bytes
    ours: baseline.Verdict
    theirs: baseline.Verdict

    def report(self, problem: str, baseline_version: str) -> str:
        return (
            f"{self.model} [{self.mutation}]: {problem}\n"
            f"  document: {self.document!r}\n"
            f"  ours:  {self.ours.describe()}\n"
            f"  {baseline_version}: {self.theirs.describe()}"
        )


@pytest.fixture(scope="module")
def outcomes(oracle: baseline.Oracle) -> dict[str, list[Outcome]]:
    """Both verdicts on every corpus document, by model (one oracle batch per model)."""
    results: dict[str, list[Outcome]] = {}
    for name in baseline.MODEL_NAMES:
        entries = compat_corpus.load(compat_corpus.CORPUS_DIR / f"{name}.jsonl")
        theirs = oracle.validate(name, [document for _, document in entries])
        model = getattr(purelms_shared, name)
        results[name] = [
            Outcome(name, mutation, document, baseline.our_verdict(model, document), their)
            for (mutation, document), their in zip(entries, theirs, strict=True)
        ]
    return results


def test_corpus_is_what_the_generator_writes() -> None:
    assert compat_corpus.main(["--check"]) == 0, "run python tools/compat_corpus.py"


@pytest.mark.parametrize("name", baseline.MODEL_NAMES)
def test_every_disagreement_is_a_documented_difference(
    outcomes: dict[str, list[Outcome]], oracle: baseline.Oracle, name: str
) -> None:
    failures = []
    for outcome in outcomes[name]:
        ours, theirs = outcome.ours, outcome.theirs
        if ours.accepted and theirs.accepted:
            if ours.dump != theirs.dump:
                failures.append(
                    outcome.report("both accept it but write it back differently", oracle.version)
                )
        elif ours.accepted:
            failures.append(outcome.report("we accept what the baseline rejects", oracle.version))
        elif theirs.accepted:
            unexplained = [
                problem.describe()
                for problem, rule in zip(ours.problems, baseline.explain(ours), strict=True)
                if rule is None
            ]
            if unexplained:
                failures.append(
                    outcome.report(
                        "we reject it for no documented difference: " + "; ".join(unexplained),
                        oracle.version,
                    )
                )
    assert not failures, f"{len(failures)} undocumented disagreement(s):\n" + "\n".join(
        failures[:15]
    )


def test_every_documented_difference_occurs_in_the_corpus(
    outcomes: dict[str, list[Outcome]],
) -> None:
    seen: Counter[str] = Counter()
    for results in outcomes.values():
        for outcome in results:
            if outcome.theirs.accepted and not outcome.ours.accepted:
                seen.update(rule for rule in baseline.explain(outcome.ours) if rule)
    assert set(seen) == {rule.name for rule in baseline.DIFFERENCES}, seen
    print("documented differences in the corpus:", dict(seen))


def test_both_sides_are_exercised(outcomes: dict[str, list[Outcome]]) -> None:
    """The corpus is not trivially one-sided: each model has accepted and rejected documents."""
    for name, results in outcomes.items():
        verdicts = Counter((o.ours.accepted, o.theirs.accepted) for o in results)
        assert verdicts[(True, True)] >= 2, (name, verdicts)
        assert verdicts[(False, False)] >= 10, (name, verdicts)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parse_and_model_validate_json_agree_on_every_corpus_document(
    outcomes: dict[str, list[Outcome]], name: str
) -> None:
    parse = PARSERS[name]
    for outcome in outcomes[name]:
        verdict = baseline.verdict_of(parse, outcome.document)
        assert verdict.accepted == outcome.ours.accepted, outcome.mutation
        assert verdict.dump == outcome.ours.dump, outcome.mutation
        assert [p.loc for p in verdict.problems] == [p.loc for p in outcome.ours.problems]
