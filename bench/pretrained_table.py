"""Markdown table of bench/pretrained.sh: per-task test metrics of the scratch and pretrained runs, Δm%, times."""
import json
import sys

config, scratch_dir, pretrained_dir, scratch_s, pretrained_s, cached_s = sys.argv[1:7]


def metrics(run):
    with open(f"{run}/metrics.json") as f:
        return json.load(f)["test"]


def features(run):
    events = [json.loads(line) for line in open(f"{run}/training-log.jsonl")]
    return [e for e in events if e.get("event") == "features"][-1]


scratch, pretrained = metrics(scratch_dir), metrics(pretrained_dir)
print(f"\n### {config}\n")
print("| task | metric | from scratch | pretrained encoder (frozen) | change |")
print("|---|---|---:|---:|---:|")
relative = []
for task, result in scratch.items():
    primary = result["primary"]
    for metric in (["accuracy", "macro_f1"] if primary == "accuracy" else ["macro_f1", "micro_f1"]):
        a, b = result["values"][metric], pretrained[task]["values"][metric]
        mark = " (primary)" if metric == primary else ""
        print(f"| {task} | {metric}{mark} | {a:.4f} | {b:.4f} | {b - a:+.4f} |")
    a, b = result["values"][primary], pretrained[task]["values"][primary]
    relative.append((b - a) / a)
delta_m = 100 * sum(relative) / len(relative)
event = features(pretrained_dir)
print(f"\nΔm (mean relative change of the primary metrics, pretrained against scratch): **{delta_m:+.1f}%**. "
      f"Wall time: scratch {scratch_s} s; pretrained {pretrained_s} s with every text encoded "
      f"({event['distinct-texts']} distinct texts), {cached_s} s again with the vectors read from the run's cache.")
