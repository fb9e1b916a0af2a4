"""Δm% of each sharing strategy against its own seed's single-task baselines, as mean ± std over
seeds, and each task's primary test metric, from the runs bench/sharing.sh leaves:
<dataset>/seed-<s>/<strategy>/metrics.json (their "baselines" hold the comparison).
A second Δm% compares each run with the baselines' mean over seeds (each metric averaged), as
LibMTL and most MTL papers do: its std is the runs' own spread, without the baselines' seed noise.

Usage: python3 bench/sharing_seeds.py [--label=NAME] runs/bench-sharing/<dataset> <strategy>...
(bench/weighting.sh passes --label=weighting and one directory per weighting instead of strategy)
"""
import json
import pathlib
import statistics
import sys


def mean_std(values):
    if not values:
        return "-"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):+.2f} ± {std:.2f}"


def delta_m(test, base):
    """Δm% of one run's test metrics against baseline metric values (Maninis et al. 2019)."""
    deltas = []
    for task, m in test.items():
        if task not in base:
            continue
        lower = set(m.get("lower_is_better", []))
        gains = [100 * (-1 if name in lower else 1) * (value - base[task][name]) / abs(base[task][name])
                 for name, value in m["values"].items() if base[task].get(name)]
        if gains:
            deltas.append(sum(gains) / len(gains))
    return sum(deltas) / len(deltas) if deltas else None


def delta_m_of(report, base):
    return delta_m(report["test"], base)


def mean_baseline(seeds):
    """Each task's baseline test metrics averaged over the seeds that have them."""
    values = {}
    for seed in seeds:
        stored = seed / "single-task" / "baselines.json"
        if stored.is_file():
            for task, m in json.loads(stored.read_text())["test"].items():
                for name, value in m["values"].items():
                    values.setdefault(task, {}).setdefault(name, []).append(value)
    return {task: {name: statistics.mean(v) for name, v in metrics.items()} for task, metrics in values.items()}


def main():
    args = sys.argv[1:]
    label = "strategy"
    if args and args[0].startswith("--label="):
        label = args.pop(0)[len("--label="):]
    dataset = pathlib.Path(args[0])
    strategies = args[1:]
    seeds = sorted(p for p in dataset.glob("seed-*") if p.is_dir())
    pooled_base = mean_baseline(seeds)
    tasks = []
    rows = []
    for strategy in strategies:
        delta_m = []
        pooled = []
        primary = {}
        for seed in seeds:
            metrics = dataset / seed.name / strategy / "metrics.json"
            if not metrics.is_file():
                continue
            report = json.loads(metrics.read_text())
            comparison = report.get("baselines")
            if comparison:
                delta_m.append(comparison.get("delta_m", comparison.get("deltaM")))  # already in percent
            if pooled_base and delta_m_of(report, pooled_base) is not None:
                pooled.append(delta_m_of(report, pooled_base))
            for task, m in report["test"].items():
                if task not in tasks:
                    tasks.append(task)
                primary.setdefault(task, []).append(m["values"][m["primary"]])
        rows.append((strategy, len(delta_m), delta_m, pooled, primary))
    baseline = {}
    for seed in seeds:
        stored = seed / "single-task" / "baselines.json"
        if stored.is_file():
            for task, m in json.loads(stored.read_text())["test"].items():
                baseline.setdefault(task, []).append(m["values"][m["primary"]])
    if baseline:
        rows.insert(0, ("single-task", len(next(iter(baseline.values()))), [], [], baseline))
    print(f"Over {len(seeds)} seeds ({', '.join(s.name[5:] for s in seeds)}): Δm% against the same seed's baselines, Δm% against"
          " the baselines' mean over seeds, and each task's primary test metric, mean ± std.")
    print()
    print(f"| {label} | runs | Δm% | Δm% vs mean baseline | " + " | ".join(tasks) + " |")
    print("|---|---|---|---|" + "---|" * len(tasks))
    for strategy, runs, delta_m, pooled, primary in rows:
        cells = []
        for task in tasks:
            values = primary.get(task, [])
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                cells.append(f"{statistics.mean(values):.4f} ± {std:.4f}")
            else:
                cells.append("-")
        print(f"| {strategy} | {runs} | {mean_std(delta_m)} | {mean_std(pooled)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
