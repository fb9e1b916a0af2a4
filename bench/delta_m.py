"""Δm% of a finished run against a baselines.json written later (mtl train --single-task), computed as
mtl's Baselines.compare does: per task, the mean over every test metric of its sign-adjusted relative
change against the baseline, in percent; then the mean over tasks. For runs trained before their
baselines existed (their metrics.json then has no "baselines").

Usage: python3 bench/delta_m.py <run>/metrics.json <baselines.json>
"""
import json
import sys


def main():
    run = json.load(open(sys.argv[1]))
    base = json.load(open(sys.argv[2]))
    deltas = []
    for task, metrics in run["test"].items():
        reference = base["test"].get(task)
        if reference is None:
            continue
        lower = set(metrics.get("lower_is_better", metrics.get("lowerIsBetter", [])))
        gains = []
        for name, value in metrics["values"].items():
            b = reference["values"].get(name)
            if b:
                sign = -1 if name in lower else 1
                gains.append(100 * sign * (value - b) / abs(b))
        delta = sum(gains) / len(gains)
        deltas.append(delta)
        primary = metrics["primary"]
        print(f"{task:12} {primary} {metrics['values'][primary]:.4f} against {reference['values'][primary]:.4f}  Δ {delta:+.2f}%")
    print(f"Δm% = {sum(deltas) / len(deltas):+.2f}")


if __name__ == "__main__":
    main()
