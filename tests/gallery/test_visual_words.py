"""The visual-word vocabulary: the shipped one, training a new one, and the command that does it."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from gallery import keypoints, visual_words
from tests.helpers import MET_SAMPLE


def _met_descriptors(count: int) -> np.ndarray:
    found = []
    for path in sorted((MET_SAMPLE / "images").glob("*.jpg"))[:count]:
        with Image.open(path) as picture:
            found.append(keypoints.extract(picture.convert("RGB"), features=300).descriptors)
    return np.concatenate(found)


def test_the_shipped_vocabulary_names_a_descriptor_by_its_nearest_leaf():
    vocabulary = visual_words.vocabulary()
    assert vocabulary.size == visual_words.WORDS and vocabulary.leaves.shape == (128, 128, 32)
    descriptors = _met_descriptors(2)
    words = vocabulary.words(descriptors)
    assert words.min() >= 0 and words.max() < vocabulary.size
    # The leaf itself is named by its own word; the word of a descriptor is within its centre's leaves.
    leaf = vocabulary.leaves[5, 9]
    assert vocabulary.words(leaf[None, :])[0] == 5 * 128 + 9
    centre = visual_words.hamming(descriptors, vocabulary.centres).argmin(axis=1)
    assert np.array_equal(words // 128, centre)
    assert vocabulary.bit_string(descriptors).count("1") == len(set(words.tolist()))
    # Each word is the nearest leaf of its centre, bit by bit (the first of equals).
    bits = np.unpackbits(descriptors, axis=1)
    for descriptor, word in zip(bits[:200], words[:200]):
        leaves = np.unpackbits(vocabulary.leaves[word // 128], axis=1)
        assert word % 128 == int(np.argmin((leaves != descriptor).sum(axis=1)))


def test_hamming_distances_count_differing_bits():
    first = np.zeros((2, 32), np.uint8)
    second = np.zeros((3, 32), np.uint8)
    second[1, 0] = 0b1011
    second[2] = 255
    assert visual_words.hamming(first, second).tolist() == [[0, 3, 256], [0, 3, 256]]


def test_training_is_deterministic_and_gives_the_trees_shape():
    descriptors = _met_descriptors(3)
    first = visual_words.train(descriptors, branching=8, seed=3)
    again = visual_words.train(descriptors, branching=8, seed=3)
    assert first.centres.shape == (8, 32) and first.leaves.shape == (8, 8, 32) and first.size == 64
    assert np.array_equal(first.leaves, again.leaves)
    with pytest.raises(ValueError, match="at least 8 descriptors"):
        visual_words.train(descriptors[:5], branching=8)


def test_the_command_trains_a_vocabulary_from_a_folder(tmp_path):
    for n, path in enumerate(sorted((MET_SAMPLE / "images").glob("*.jpg"))[:3]):
        (tmp_path / f"{n}.jpg").write_bytes(path.read_bytes())
    (tmp_path / "broken.jpg").write_bytes(b"<html>not a picture</html>")
    out = tmp_path / "vocabulary.npz"
    call_command("train_visual_words", str(tmp_path), "--out", str(out), "--branching", "8", verbosity=0)
    with np.load(out) as data:
        assert data["centres"].shape == (8, 32) and data["leaves"].shape == (8, 8, 32)
    with pytest.raises(CommandError, match="No images"):
        call_command("train_visual_words", str(tmp_path / "empty"), "--out", str(out), verbosity=0)
