"""What a batch will cost before anything is submitted, and the per-batch cap.

A generator that runs on a paid service may offer ``estimate_cost(request) -> float | None``
(US dollars; None: no price known). Shots resumed from an accepted job, cached or up to date cost
nothing more. With a cap, a batch whose estimate is over it — or whose cost cannot be known for
some shot — is refused before the first submission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..registry import generator_spec, load_generator_class


class CostCapExceeded(RuntimeError):
    """The batch's estimate is over the cap the user set (or unknown while a cap is set)."""


@dataclass
class CostEstimate:
    total: float = 0.0  # dollars, over the shots with a known price
    paid_shots: int = 0  # shots that will be submitted to a paid service
    unknown: list[str] = field(default_factory=list)  # shot numbers with no price
    resumed: int = 0  # shots following a job already paid for

    @property
    def known(self) -> bool:
        return not self.unknown

    def describe(self) -> str:
        if not self.paid_shots and not self.resumed:
            return "estimated cost: nothing (no paid generation)"
        text = f"estimated cost: ${self.total:.2f} for {self.paid_shots} shot(s)"
        if self.unknown:
            text += f", unknown for {len(self.unknown)} (no price in the model preset)"
        if self.resumed:
            text += f"; {self.resumed} resumed job(s) already paid for"
        return text


def estimate(planned: Iterable) -> CostEstimate:  # noqa: ANN001 - PlannedJob (service imports this)
    """The estimate for the shots of ``planned`` that will be generated."""
    result = CostEstimate()
    generators: dict[str, object | None] = {}
    for item in planned:
        if item.action != "generate":
            continue
        if item.request.remote_job:
            result.resumed += 1
            continue
        if item.generator_id not in generators:
            cls = load_generator_class(generator_spec(item.generator_id))
            # only remote generators are built here (cheap, no model): a local one costs nothing
            generators[item.generator_id] = cls() if getattr(cls.capabilities, "remote", False) else None
        gen = generators[item.generator_id]
        estimator = getattr(gen, "estimate_cost", None)
        if gen is None or estimator is None:
            continue
        result.paid_shots += 1
        try:
            cost = estimator(item.request)
        except Exception:  # noqa: BLE001 - a preset problem shows when the job runs; here: unknown
            cost = None
        if cost is None:
            result.unknown.append(item.shot_number)
        else:
            result.total += float(cost)
    result.total = round(result.total, 2)
    return result


def enforce_cap(found: CostEstimate, cap: float | None) -> None:
    """Raise ``CostCapExceeded`` when ``cap`` is set and the estimate is over it or unknown."""
    if cap is None or not found.paid_shots:
        return
    if found.unknown:
        raise CostCapExceeded(
            f"the cost of {len(found.unknown)} shot(s) is unknown (shots {', '.join(found.unknown[:5])}), so the "
            f"cap of ${cap:.2f} cannot be enforced; nothing was submitted")
    if found.total > cap + 1e-9:
        raise CostCapExceeded(f"estimated cost ${found.total:.2f} is over the cap of ${cap:.2f}; nothing was "
                              "submitted (raise --max-cost or generate fewer shots)")
