"""Headline sentences, each made from the numbers it states: a finding whose interval covers
zero is worded as not established, and a number compared across paths says so."""

from __future__ import annotations

from typing import Any


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


def interval(low: float | None, high: float | None, sign: bool = True) -> str:
    """Return `[low, high]`, signed for differences, plain for rates."""
    fmt = signed if sign else rate
    return "—" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


def mismatch(row: dict[str, Any]) -> str:
    return ", ".join(row.get("path_mismatch") or [])


def _claim(row: dict[str, Any], key: str, up: str, down: str) -> str:
    """Return the clause a number with an interval supports: nothing when it covers zero."""
    if row["ci_low"] <= 0 <= row["ci_high"]:
        return "not established: the interval covers zero"
    return up if row[key] > 0 else down


def _marked(sentence: str, row: dict[str, Any]) -> str:
    fields = mismatch(row)
    return sentence + (f" PATH MISMATCH ({fields}): compared across paths." if fields else "")


def lift_sentence(lift: dict[str, Any]) -> str:
    """Return the headline sentence of one lift row."""
    seeds = lift["n_seeds"]
    spread = f" (per-seed sd {lift['seed_std']:.3f})" if lift.get("seed_std") is not None else ""
    claim = _claim(lift, "lift", "SFT raises Δ at this size", "SFT lowers Δ at this size")
    return _marked(
        f"SFT lift at {lift['size']} ({lift['recipe']}, {lift['scorer']}): {signed(lift['lift'])} "
        f"{interval(lift['ci_low'], lift['ci_high'])}, n = {lift['n_tasks']} tasks, {seeds} "
        f"seed{'s' if seeds != 1 else ''}{spread} — {claim}.",
        lift,
    )


def delta_sentence(delta: dict[str, Any]) -> str:
    """Return the headline sentence of one procedural Δ row."""
    claim = _claim(
        delta, "delta", "the skill block helps this configuration", "the skill block hurts it"
    )
    p = delta.get("mcnemar_p")
    test = "" if p is None else f", McNemar p = {p:.3g}"
    return _marked(
        f"Procedural Δ for {delta['configuration']} ({delta['scorer']}): {signed(delta['delta'])} "
        f"{interval(delta['ci_low'], delta['ci_high'])}, n = {delta['n_tasks']} tasks{test} "
        f"— {claim}.",
        delta,
    )


def prediction_sentences(prediction: dict[str, Any]) -> list[str]:
    """Return one sentence per part of the prediction check and one for its outcome."""
    out = []
    for c in prediction["uniform"]:
        out.append(
            f"Prediction, uniform lift at {c['size']} ({c['recipe']}, {c['scorer']}): "
            f"{c['status']} — lift {signed(c['lift'])} {interval(c['ci_low'], c['ci_high'])} vs "
            f"the band {signed(c['earlier_mean'])} ± {c['band_high'] - c['earlier_mean']:.3f} "
            f"of {', '.join(c['earlier_sizes'])}: {c['reason']}."
        )
    for c in prediction["largest_where_pre_lowest"]:
        versus = "; ".join(
            f"vs {d['size']} {signed(d['difference'])} {interval(d['ci_low'], d['ci_high'])}"
            for d in c["differences"]
        )
        out.append(
            f"Prediction, largest lift where Δ(pre) is lowest ({c['recipe']}, {c['scorer']}): "
            f"{c['status']} — {c['reason']} (lift difference {versus})."
        )
    reason = f": {prediction['reason']}" if prediction.get("reason") else ""
    return [*out, f"The paper's prediction overall: {prediction['status']}{reason}."]


def artifact_sentences(artifact: dict[str, Any]) -> list[str]:
    """Return, per extractor × scorer, the configuration where their Δ differ most."""
    out = []
    for pair in sorted({(d["extractor"], d["scorer"]) for d in artifact["deltas"]}):
        rows = [d for d in artifact["deltas"] if (d["extractor"], d["scorer"]) == pair]
        d = max(rows, key=lambda r: abs(r["difference"]))
        claim = _claim(d, "difference", "the scorers disagree on Δ", "the scorers disagree on Δ")
        out.append(
            f"Scoring artifact, Δ({pair[1]}) − Δ({pair[0]}) is largest at {d['configuration']}: "
            f"{signed(d['difference'])} {interval(d['ci_low'], d['ci_high'])}, "
            f"n = {d['n_tasks']} tasks — {claim}."
        )
    return out


def agreement_sentence(agreement: dict[str, Any]) -> str | None:
    """Return the judge-agreement sentence: the weakest κ and agreement, the largest Δ shift."""
    kappas = [p["kappa"] for p in agreement["pairs"] if p["kappa"] is not None]
    agreed = [p["agreement"] for p in agreement["pairs"] if p["agreement"] is not None]
    if not kappas and not agreed:
        return None
    largest = agreement["largest_delta_shift"]
    shift = (
        ""
        if largest is None
        else f"; largest shift of a headline Δ {largest['shift']:.3f} "
        f"({largest['a']} vs {largest['b']} at {largest['configuration']})"
    )
    return (
        f"Scorer agreement over {len(agreement['pairs'])} pair(s): κ ≥ "
        f"{rate(min(kappas) if kappas else None)}, raw agreement ≥ "
        f"{rate(min(agreed) if agreed else None)}{shift}."
    )


def headlines(summary: dict[str, Any]) -> list[str]:
    """Return every headline sentence, each made from the numbers it states."""
    out = prediction_sentences(summary["prediction"])
    out += [lift_sentence(lift) for lift in summary["lift"]]
    out += [delta_sentence(d) for d in summary["procedural_delta"]]
    out += artifact_sentences(summary["scoring_artifact"])
    if summary.get("judge_agreement"):
        out += [s for s in [agreement_sentence(summary["judge_agreement"])] if s]
    return out
