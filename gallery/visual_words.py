"""Visual words: each ORB descriptor named by the nearest of a fixed vocabulary's 16,384 binary words, so that a
work's keypoints become a set of words (a bit string) that PostgreSQL can index and compare.

This is how a detail search finds its candidates among a whole collection before checking a few with keypoints
(gallery.keypoints): a detail shares many of its words with the work it comes from, few with any other. A work's
words are a `bit(16384)` column of ArtworkKeypoints with pgvector's HNSW index on Jaccard distance.

The vocabulary is a two-level tree (as in DBoW2 and Nistér & Stewénius' vocabulary tree): BRANCHING binary centres,
each with BRANCHING leaves, found by k-majority (k-means for bit strings: Hamming distance, bitwise majority). A
descriptor goes to its nearest centre, then to that centre's nearest leaf: 256 comparisons, not 16,384. It ships with
the code (`visual_words.npz`, 0.5 MB, trained on the Met's CC0 images by `manage.py train_visual_words`); word ids
change with it, so every stored set is stamped with VOCABULARY_ID and recomputed from its keypoints when it differs.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCABULARY_PATH = Path(__file__).with_name("visual_words.npz")
BRANCHING = 128
WORDS = BRANCHING * BRANCHING  # the length of a work's bit string
DESCRIPTOR_BYTES = 32


@dataclass(frozen=True)
class Vocabulary:
    centres: np.ndarray  # (branching, 32) uint8
    leaves: np.ndarray  # (branching, branching, 32) uint8

    @property
    def branching(self) -> int:
        return len(self.centres)

    @property
    def size(self) -> int:
        return self.branching * self.leaves.shape[1]

    def words(self, descriptors: np.ndarray) -> np.ndarray:
        """The word id of each descriptor (n, 32) uint8."""
        if not len(descriptors):
            return np.empty(0, dtype=np.int64)
        centre = hamming(descriptors, self.centres).argmin(axis=1)
        # Each descriptor against its own centre's leaves, all at once: (n, branching, 32).
        leaf = _distances(_as_words(descriptors), _as_words(self.leaves[centre])).argmin(axis=1)
        return centre.astype(np.int64) * self.leaves.shape[1] + leaf

    def bits(self, descriptors: np.ndarray) -> np.ndarray:
        """The set of words of these descriptors, as a bool array of `size` (what the `words` column holds)."""
        present = np.zeros(self.size, dtype=bool)
        present[self.words(descriptors)] = True
        return present

    def bit_string(self, descriptors: np.ndarray) -> str:
        """The set of words as PostgreSQL's bit string literal ("0100…"), for the `words` column and its queries."""
        return (self.bits(descriptors).astype(np.uint8) + ord("0")).tobytes().decode("ascii")

    def save(self, path: Path) -> None:
        with open(path, "wb") as handle:  # np.savez would add ".npz" to a name without it
            np.savez_compressed(handle, centres=self.centres, leaves=self.leaves)


def hamming(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Hamming distances (len(first), len(second)) between rows of 32-byte descriptors."""
    a, b = _as_words(first), _as_words(second)
    if not len(a):
        return np.empty((0, len(b)), dtype=np.uint16)
    step = max(1, 2**22 // max(len(b), 1))  # about 32 MB of intermediate XORs at a time
    return np.concatenate([_distances(a[start:start + step], b) for start in range(0, len(a), step)])


def _as_words(descriptors: np.ndarray) -> np.ndarray:
    """32-byte descriptors as four 64-bit words each (the last axis)."""
    return np.ascontiguousarray(descriptors, dtype=np.uint8).view(np.uint64)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances of a's rows (n, 4) to b's rows: (m, 4) for every pair, or (n, m, 4) for row i's own m.

    One 64-bit word at a time: XOR-ing along a last axis of four costs several times more in numpy (bench/README.md)."""
    other = b[None] if b.ndim == 2 else b
    out = np.zeros((len(a), other.shape[1]), dtype=np.uint16)
    for word in range(a.shape[1]):
        out += np.bitwise_count(a[:, word, None] ^ other[:, :, word])
    return out


@functools.cache
def vocabulary() -> Vocabulary:
    with np.load(VOCABULARY_PATH) as data:
        return Vocabulary(centres=data["centres"], leaves=data["leaves"])


@functools.cache
def vocabulary_id() -> str:
    """Stamps the stored word sets: a new vocabulary file means new word ids."""
    return hashlib.sha256(VOCABULARY_PATH.read_bytes()).hexdigest()[:12]


def train(descriptors: np.ndarray, *, branching: int = BRANCHING, seed: int = 0, rounds: int = 5) -> Vocabulary:
    """A vocabulary tree from a sample of descriptors (a few hundred thousand ORB descriptors of varied pictures).

    Deterministic for a seed. A centre with too few descriptors to split gets leaves drawn from the whole sample, so
    every tree has the same shape."""
    rng = np.random.default_rng(seed)
    if len(descriptors) < branching:
        raise ValueError(f"Training needs at least {branching} descriptors, got {len(descriptors)}.")
    centres = _k_majority(descriptors, branching, rng, rounds)
    nearest = hamming(descriptors, centres).argmin(axis=1)
    leaves = []
    for index in range(branching):
        members = descriptors[nearest == index]
        if len(members) < branching:
            members = np.concatenate([members, descriptors[rng.choice(len(descriptors), branching)]])
        leaves.append(_k_majority(members, branching, rng, rounds - 1))
    return Vocabulary(centres=centres, leaves=np.stack(leaves))


def _k_majority(descriptors: np.ndarray, k: int, rng: np.random.Generator, rounds: int) -> np.ndarray:
    """k binary centres: start from k distinct descriptors, then alternate nearest centre and bitwise majority."""
    centres = descriptors[rng.choice(len(descriptors), k, replace=False)].copy()
    bits = np.unpackbits(descriptors, axis=1).astype(np.int32)
    for _ in range(rounds):
        nearest = hamming(descriptors, centres).argmin(axis=1)
        counts = np.bincount(nearest, minlength=k)
        ones = np.zeros((k, bits.shape[1]), dtype=np.int64)
        np.add.at(ones, nearest, bits)
        majority = np.packbits((2 * ones > counts[:, None]).astype(np.uint8), axis=1)
        kept = counts > 0  # an empty centre keeps its place rather than collapsing to all zeros
        centres[kept] = majority[kept]
    return centres
