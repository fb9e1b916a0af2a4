#!/usr/bin/env python3
"""Markdown tables for bench/semi_supervised.sh: per method, each round's pseudo-labels and test metrics."""
import json
import sys


def primary(metrics, task):
    m = metrics.get(task)
    return None if m is None else m["values"][m["primary"]]


def cell(value, digits=4):
    return "-" if value is None else f"{value:.{digits}f}"


def main():
    out = sys.argv[1]
    # (method folder, wall seconds, all-labels folder, its wall seconds)
    methods = [sys.argv[i:i + 4] for i in range(2, len(sys.argv), 4)]
    for method, seconds, reference_dir, all_s in methods:
        reference = json.load(open(f"{out}/{reference_dir}/metrics.json"))["test"]
        tasks = list(reference.keys())
        report = json.load(open(f"{out}/{method}/pseudo-labels.json"))
        pools = report["unlabeled_texts"]
        pseudo_tasks = list(pools.keys())
        settings = report["settings"]
        print(f"\n#### {method}: confidence {settings['confidence']}, max-per-class {settings['maxPerClass']}, "
              f"weight {settings['weight']}" + (f", second view {settings['second_view']}" if settings["second_view"] else "") + "\n")
        header = ["round"] + [f"{t}: pseudo-labelled (added / in all)" for t in pseudo_tasks] + \
                 [f"{t}: accuracy of the added" for t in pseudo_tasks] + [f"{t} test {reference[t]['primary']}" for t in tasks]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        first = last = None
        for rnd in report["rounds"]:
            view = rnd["views"][0]
            picks = view["pseudo_labels"]
            row = [str(rnd["round"])]
            row += [f"{picks[t]['added']} / {picks[t]['total']}" if t in picks else "0 / 0" for t in pseudo_tasks]
            row += [cell(picks[t].get("added_accuracy"), 3) if t in picks else "-" for t in pseudo_tasks]
            row += [cell(primary(view["test"], t)) for t in tasks]
            print("| " + " | ".join(row) + " |")
            first = first or view["test"]
            last = view["test"]
        row = ["all labels"] + ["-"] * (2 * len(pseudo_tasks)) + [cell(primary(reference, t)) for t in tasks]
        print("| " + " | ".join(row) + " |")
        for t in pseudo_tasks:
            start, end, full = primary(first, t), primary(last, t), primary(reference, t)
            closed = "" if full == start else f"; {100 * (end - start) / (full - start):.0f}% of the gap to all labels closed"
            print(f"\n{t}: {cell(start)} labelled-only -> {cell(end)} after the last round ({100 * (end - start):+.1f} points{closed}).",
                  end="")
        print(f" {sum(pools.values())} unlabelled texts; stopped: "
              f"{report['stopped']}. Wall time {seconds} s (all-labels run: {all_s} s).")


if __name__ == "__main__":
    main()
