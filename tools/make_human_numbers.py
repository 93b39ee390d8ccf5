#!/usr/bin/env python3
"""Writes the fastbook "human numbers" corpus, spelled out by code (nothing is downloaded).

    make_human_numbers.py OUT_DIR [--train-max 8000] [--max 9999]

OUT_DIR/train.txt holds the numbers 1..train-max, OUT_DIR/valid.txt the numbers train-max+1..max, one per line,
in words: "one", "two", ..., "nine thousand nine hundred ninety nine" (no "and", no hyphens), as fastai's
HUMAN_NUMBERS dataset spells them. The ULMFiT sample (samples/Ulmfit) reads both files.
"""
import argparse
from pathlib import Path

ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell(n):
    if not 0 < n < 1_000_000:
        raise ValueError(f"{n} is outside 1..999999")
    words = []
    if n >= 1000:
        words += spell(n // 1000).split() + ["thousand"]
        n %= 1000
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
    if n > 0:
        words.append(ONES[n])
    return " ".join(words)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--train-max", type=int, default=8000)
    ap.add_argument("--max", type=int, default=9999)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    assert spell(1) == "one" and spell(15) == "fifteen" and spell(40) == "forty" and spell(101) == "one hundred one"
    assert spell(9999) == "nine thousand nine hundred ninety nine" and spell(2000) == "two thousand"
    (out / "train.txt").write_text("".join(spell(n) + " \n" for n in range(1, a.train_max + 1)))
    (out / "valid.txt").write_text("".join(spell(n) + " \n" for n in range(a.train_max + 1, a.max + 1)))
    print(f"{out}/train.txt: 1..{a.train_max}; {out}/valid.txt: {a.train_max + 1}..{a.max}")


if __name__ == "__main__":
    main()
