"""The control for distillation (training.distill): each task distilled alone from its own single-task
baseline ("born-again", Furlanello et al. 2018), so a distilled multi-task run's gain can be split into
what distillation gives by itself and what sharing adds.

  python3 bench/born_again.py run runs/bench-recipe/sentence-classic     # trains <seed>/born-again/<task>
  python3 bench/born_again.py report runs/bench-recipe/sentence-classic  # Δm% of the students, as sharing_seeds.py

Reads each seed's single-task baselines (bench/sharing.sh leaves <seed>/single-task/<task>/ with the
config as run and its model): the student is that config, the same model, budget and selection, with
its baseline as teacher. Run from the checkout's root; a student whose metrics.json exists is kept.
"""
import json
import pathlib
import statistics
import subprocess
import sys

import yaml

from sharing_seeds import delta_m, mean_std


def students(dataset):
    for seed in sorted(p for p in dataset.glob("seed-*") if (p / "single-task" / "baselines.json").is_file()):
        for task in json.loads((seed / "single-task" / "baselines.json").read_text())["test"]:
            yield seed, task


def run(dataset):
    for seed, task in students(dataset):
        out = seed / "born-again" / task
        if (out / "metrics.json").is_file():
            continue
        baseline = seed / "single-task" / task
        config = yaml.safe_load((baseline / "config.yaml").read_text())
        config["output"] = str(out.resolve())
        config.setdefault("training", {})["distill"] = {"teachers": {task: str((baseline / "model").resolve())}}
        # Beside the example configs: the config as run keeps their relative data paths.
        file = pathlib.Path("examples") / f".born-again-{seed.name}-{task}.yaml"
        file.write_text(yaml.safe_dump(config, sort_keys=False))
        try:
            print(f"== {dataset.name}, {seed.name}: {task} born again", file=sys.stderr, flush=True)
            subprocess.run(["bin/mtl", "train", str(file), "--quiet", "--overwrite"], check=True, stdout=subprocess.DEVNULL)
        finally:
            file.unlink()


def report(dataset):
    seeds = sorted({seed for seed, _ in students(dataset)})
    bases = {seed: json.loads((seed / "single-task" / "baselines.json").read_text())["test"] for seed in seeds}
    mean_base = {task: {name: statistics.mean(bases[s][task]["values"][name] for s in seeds) for name in metrics["values"]}
                 for task, metrics in bases[seeds[0]].items()}
    same, pooled, primary = [], [], {}
    for seed in seeds:
        test = {}
        for task in bases[seed]:
            metrics = seed / "born-again" / task / "metrics.json"
            if metrics.is_file():
                test[task] = json.loads(metrics.read_text())["test"][task]
        if len(test) < len(bases[seed]):
            continue
        same.append(delta_m(test, {task: m["values"] for task, m in bases[seed].items()}))
        pooled.append(delta_m(test, mean_base))
        for task, m in test.items():
            primary.setdefault(task, []).append(m["values"][m["primary"]])
    cells = [f"{statistics.mean(v):.4f} ± {statistics.stdev(v) if len(v) > 1 else 0:.4f}" for v in primary.values()]
    print("| run | runs | Δm% | Δm% vs mean baseline | " + " | ".join(primary) + " |")
    print("|---|---|---|---|" + "---|" * len(primary))
    print(f"| born-again | {len(same)} | {mean_std(same)} | {mean_std(pooled)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    {"run": run, "report": report}[sys.argv[1]](pathlib.Path(sys.argv[2]))
