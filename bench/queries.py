"""Search texts for the latency and load benchmarks: short, varied descriptions like visitors type."""

from __future__ import annotations

import itertools
import random

SUBJECTS = ["a stormy sea", "sunflowers", "a woman in a blue dress", "a harbour", "an old man reading",
            "water lilies", "a village church", "horses", "a bowl of fruit", "dancers", "a mountain lake",
            "a self portrait", "a city street", "a bridge", "a garden", "ships", "a sleeping cat", "angels",
            "a winter landscape", "a crowded market", "a girl with a pearl earring", "cypress trees", "a cathedral",
            "a still life with flowers", "peasants in a field", "a lighthouse", "a nude", "a family portrait",
            "musicians", "a forest path"]
DETAILS = ["", "at night", "at sunset", "in the rain", "in spring", "with boats", "in gold and blue",
           "in thick brushstrokes", "in the style of cubism", "seen from above", "under a red sky", "in winter",
           "with strong shadows", "in pastel colours", "by candlelight"]
MEDIA = ["", "oil painting", "watercolour", "etching", "fresco", "sketch", "tempera", "woodcut", "mosaic", "drawing"]


def texts(count: int, *, seed: int = 0) -> list[str]:
    """`count` distinct texts (up to 4500) in a shuffled but repeatable order."""
    combos = [" ".join(part for part in (medium and f"{medium} of", subject, detail) if part)
              for subject, detail, medium in itertools.product(SUBJECTS, DETAILS, MEDIA)]
    random.Random(seed).shuffle(combos)
    if count > len(combos):
        raise ValueError(f"only {len(combos)} distinct texts")
    return combos[:count]
