"""Refit the speed model's factors to the benchmark points in sizing/data/selfhosted_calibration.yaml (a dev script).

Run it after adding a benchmark point or changing sizing/selfhosted/speed.py:
    .venv/bin/python tests/fit_selfhosted_calibration.py
It minimises the worst relative error over every compared metric (``calibration.compared``) at every point, one set
of factors for every GPU, by Nelder-Mead from a few starts; then rounds the efficiencies to three decimals and the
times to the microsecond (a step overhead fitted to 1e-17 s is 0) and then two significant figures, and prints that
set, its worst error and each point's prediction, for the yaml's ``factors`` and ``predicted``. Each point is predicted
at its mean concurrency (``effective_streams`` where the benchmark's own Little's law puts it below the nominal).
The fit's worst is not held to be within the tolerance: where it is not, the yaml records each metric outside it,
with the reason, and tests/test_selfhosted_calibration.py holds those to the honest bound.
The PCIe all-reduce has no published point: it stays at 120 us (PCIE_ALLREDUCE_S), an assumption the fit does not move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sizing.selfhosted.calibration import compared, load_calibration, predict
from sizing.selfhosted.catalog import load_gpu_catalog, load_model_catalog
from sizing.selfhosted.speed import SpeedFactors

# No published tensor-parallel sweep over PCIe was found: its all-reduce is an assumption, kept at the 120 us it has had
# (3x the NVLink figure of the first fit), not tied to the NVLink one the NIM points fit.
PCIE_ALLREDUCE_S = 0.00012
# decode efficiency, prefill efficiency, step overhead s, NVLink all-reduce s, TTFT overhead s
LOW = (0.3, 0.2, 0.0, 0.0, 0.0)
# Decode efficiency at most 0.9: no GPU reads its memory at the datasheet figure (the best measured HBM/GDDR reads are
# 0.85 to 0.92 of it); one A10G stream alone, in the server's own tokens, implies about 0.75.
HIGH = (0.9, 1.0, 0.02, 0.0003, 0.3)
STARTS = ((0.8, 0.4, 0.001, 3e-5, 0.01), (0.9, 0.55, 0.001, 3e-5, 0.01), (0.95, 0.45, 0.0, 2e-5, 0.0))
STEP = (0.05, 0.05, 0.002, 1e-5, 0.01)


def factors(x: Sequence[float]) -> SpeedFactors:
    de, pe, step, nvlink, ttft = x
    return SpeedFactors(
        decode_efficiency=de,
        prefill_efficiency=pe,
        step_overhead_s=step,
        allreduce_s={"nvlink": nvlink, "pcie": PCIE_ALLREDUCE_S},
        ttft_overhead_s=ttft,
    )


def worst(x: Sequence[float]) -> float:
    calibration, gpus, models = load_calibration(), load_gpu_catalog(), load_model_catalog()
    f = factors(x)
    return max(
        abs(predicted / measured - 1)
        for bench in calibration.benchmarks
        for point in bench.points
        for _, predicted, measured in compared(bench, point, predict(bench, point.mean_streams, f, gpus, models))
    )


def _toward(centre: Sequence[float], worst_point: Sequence[float], t: float) -> list[float]:
    """The point t of the way from the simplex's centre to its worst point (t < 0: reflected beyond the centre)."""
    return [c + t * (w - c) for c, w in zip(centre, worst_point, strict=True)]


def nelder_mead(f: Callable[[list[float]], float], start: Sequence[float], iterations: int = 1500) -> list[float]:
    simplex = [list(start)] + [[v + (STEP[i] if i == j else 0) for j, v in enumerate(start)] for i in range(len(start))]
    values = [f(p) for p in simplex]
    for _ in range(iterations):
        order = sorted(range(len(simplex)), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centre = [sum(p[j] for p in simplex[:-1]) / (len(simplex) - 1) for j in range(len(start))]
        reflected = _toward(centre, simplex[-1], -1)
        fr = f(reflected)
        if fr < values[0]:
            expanded = _toward(centre, simplex[-1], -2)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = _toward(centre, simplex[-1], 0.5)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                simplex = [[b + (v - b) / 2 for b, v in zip(simplex[0], p, strict=True)] for p in simplex]
                values = [f(p) for p in simplex]
    return simplex[values.index(min(values))]


def bounded(x: Sequence[float]) -> float:
    inside = [min(max(v, lo), hi) for v, lo, hi in zip(x, LOW, HIGH, strict=True)]
    return worst(inside) + 10 * sum(abs(v - w) for v, w in zip(x, inside, strict=True))


def main() -> None:
    fits = [nelder_mead(bounded, nelder_mead(bounded, start)) for start in STARTS]
    best = min(fits, key=bounded)
    best = [min(max(v, lo), hi) for v, lo, hi in zip(best, LOW, HIGH, strict=True)]
    rounded = [round(best[0], 3), round(best[1], 3)] + [float(f"{round(v, 6):.2g}") for v in best[2:]]
    print(f"fitted  {best}  worst {worst(best):.2%}")
    print(f"rounded {rounded}  worst {worst(rounded):.2%}")
    calibration, gpus, models, f = load_calibration(), load_gpu_catalog(), load_model_catalog(), factors(rounded)
    for bench in calibration.benchmarks:
        print(bench.name)
        for point in bench.points:
            got = predict(bench, point.mean_streams, f, gpus, models)
            errors = " ".join(f"{m} {p / v - 1:+.1%}" for m, p, v in compared(bench, point, got))
            print(
                f"  streams {point.streams}: predicted {{output_tokens_per_s: {got.output_tokens_per_s:.1f}, "
                f"ttft_s: {got.ttft_s:.4f}, itl_s: {got.itl_s:.5f}}}  {errors}"
            )


if __name__ == "__main__":
    main()
