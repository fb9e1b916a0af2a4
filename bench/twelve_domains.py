"""A many-task benchmark from the shipped sentence data: SST-2 (train, dev and test pooled), CR and
MPQA, each shuffled once (seed 0) and dealt into four parts, one binary polarity task a part (942 to
2,651 rows; 10% of each for dev and 20% for test by `holdout`), under the recipe of
examples/sentiment-domains.yaml. Twelve small tasks from three sources, so a model can learn from
its sibling parts what single-task training on one part cannot: the setting of one task over many
small review domains (Liu et al. 2017), in a form where the parts of one source are alike by
construction. Rows without a text (4 in CR, 3 in MPQA) are left out.

Usage: python3 bench/twelve_domains.py <folder>   (from the repository root; writes the twelve
files and twelve-domains.yaml there, whose output is <folder>/runs), then e.g.
  bin/mtl train <folder>/twelve-domains.yaml --single-task --set seed=42 --set output=<folder>/runs/seed-42
  bin/mtl train <folder>/twelve-domains.yaml --set seed=42 --set output=<folder>/runs/seed-42/recipe \\
      --set baselines=<folder>/runs/seed-42/single-task/baselines.json
"""
import os
import random
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "..", "shared", "data", "sentence-classic")
SOURCES = {"sst": ["stsa.binary.train", "stsa.binary.dev", "stsa.binary.test"], "cr": ["custrev.all"], "mpqa": ["mpqa.all"]}
PARTS = 4


def rows_of(files):
    rows = []
    for name in files:
        with open(os.path.join(DATA, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                label_text = line.rstrip("\n").split(" ", 1)
                if len(label_text) == 2 and label_text[1].strip():
                    rows.append(line.rstrip("\n"))
    return rows


def main(folder):
    os.makedirs(folder, exist_ok=True)
    tasks = []
    for source, files in SOURCES.items():
        rows = rows_of(files)
        random.Random(0).shuffle(rows)
        for part in range(PARTS):
            name = f"{source}{part + 1}"
            with open(os.path.join(folder, name + ".txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(rows[part::PARTS]) + "\n")
            tasks.append(name)
    with open(os.path.join(REPO, "examples", "sentiment-domains.yaml")) as f:
        recipe = f.read()
    head, rest = recipe[:recipe.index("tasks:")], recipe[recipe.index("tokenizer:"):]
    head = head.replace("name: sentiment-domains", "name: twelve-domains")
    head = head.replace("output: ../runs/sentiment-domains", "output: " + os.path.join(os.path.abspath(folder), "runs"))
    vectors = os.path.join(REPO, "vectors")
    rest = rest.replace("../vectors", vectors)
    entries = "".join(f"""  - name: {name}
    type: text-classification
    format: label-text
    labels: [negative, positive]
    label-encoding: index
    train: {name}.txt
    holdout: {{dev: 0.1, test: 0.2}}
""" for name in tasks)
    with open(os.path.join(folder, "twelve-domains.yaml"), "w") as f:
        f.write(head + "tasks:\n" + entries + "\n" + rest)
    print(f"wrote {len(tasks)} tasks and twelve-domains.yaml to {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
