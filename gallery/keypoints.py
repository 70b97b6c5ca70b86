"""Local features of a picture (OpenCV's ORB keypoints), and the check that a detail really comes from a work.

CLIP compares whole pictures; a photographed detail of a painting is better recognised the way painting-recognition
apps do it: keypoints of the detail matched with those of a candidate work, kept when one similarity transform
(shift, rotation, scale) maps enough of them onto the work, found by RANSAC. The transform also says where the
detail sits in the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from gallery.regions import Box

# Features are taken from a copy this long on its longest side: what a detail photographed in a gallery and a
# museum's image have in common at the scales details are searched at, at a small cost (bench/README.md).
FEATURE_SIDE = 512
DESCRIPTOR_BYTES = 32  # ORB: 256 binary tests
# Keypoints taken from a searched picture: fewer than a work keeps (GALLERY_KEYPOINTS), since matching costs their
# product; 400 found as many details as 700 on the Met sample, in 60 % of the time (bench/README.md).
QUERY_FEATURES = 400
# Lowe's ratio test: a match counts when its best candidate is clearly better than the second best.
RATIO = 0.8
RANSAC_PIXELS = 6.0
# RANSAC's most rounds (OpenCV's default is 2,000). A true detail has most of its matches in agreement and stops after
# a few; an unrelated work would use them all, for nothing.
RANSAC_ROUNDS = 500  # how far (in the FEATURE_SIDE copy) a matched keypoint may land from where the transform puts it
# A work is taken to contain the detail when at least this many matches agree on one transform. Unrelated works
# reached at most 9 by chance on the Met sample (bench/README.md); true details mostly many more.
MIN_INLIERS = 10
# FAST corner threshold and ORB's border/patch size, lower than OpenCV's defaults (20, 31): museum images of
# smooth paintings and small crops of them otherwise yield too few keypoints (bench/README.md).
FAST_THRESHOLD = 10
PATCH_SIZE = 19
# How large a detail can be in its work, as a fraction of the work's long side: a twentieth of it to all of it (with
# some slack for a photograph that includes a bit of the wall).
MIN_SCALE, MAX_SCALE = 0.05, 1.3

cv2.setNumThreads(1)  # a search is one of several threads of a web process; OpenCV's own pool would oversubscribe


@dataclass(frozen=True)
class Keypoints:
    """Keypoint positions (pixels of the FEATURE_SIDE copy) with their ORB descriptors, and that copy's size."""

    points: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray  # (n, DESCRIPTOR_BYTES) uint8
    width: int
    height: int

    def __len__(self) -> int:
        return len(self.points)

    def to_bytes(self) -> bytes:
        """A compact form for the database: size, then uint16 positions, then descriptors (36 bytes a keypoint)."""
        header = np.array([self.width, self.height, len(self)], dtype="<u2").tobytes()
        points = np.rint(self.points).clip(0, 65535).astype("<u2").tobytes()
        return header + points + self.descriptors.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keypoints:
        width, height, count = np.frombuffer(data[:6], dtype="<u2")
        points_end = 6 + 4 * int(count)
        points = np.frombuffer(data[6:points_end], dtype="<u2").reshape(-1, 2).astype(np.float32)
        descriptors = np.frombuffer(data[points_end:], dtype=np.uint8).reshape(-1, DESCRIPTOR_BYTES)
        return cls(points=points, descriptors=descriptors, width=int(width), height=int(height))


@dataclass(frozen=True)
class Verification:
    inliers: int  # matches that agree on one transform
    box: Box | None  # where the detail lies in the work, when it does

    @property
    def confirmed(self) -> bool:
        return self.inliers >= MIN_INLIERS and self.box is not None


def extract(image: Image.Image, *, features: int) -> Keypoints:
    """Up to `features` ORB keypoints of `image`, from a grey copy at most FEATURE_SIDE long."""
    copy = image.convert("L")
    copy.thumbnail((FEATURE_SIDE, FEATURE_SIDE), Image.Resampling.BILINEAR)
    orb = cv2.ORB_create(nfeatures=features, fastThreshold=FAST_THRESHOLD, edgeThreshold=PATCH_SIZE,
                         patchSize=PATCH_SIZE)
    found, descriptors = orb.detectAndCompute(np.asarray(copy), None)
    if descriptors is None or not found:
        return Keypoints(points=np.zeros((0, 2), np.float32), descriptors=np.zeros((0, DESCRIPTOR_BYTES), np.uint8),
                         width=copy.width, height=copy.height)
    points = np.array([keypoint.pt for keypoint in found], dtype=np.float32)
    return Keypoints(points=points, descriptors=descriptors, width=copy.width, height=copy.height)


def verify(detail: Keypoints, work: Keypoints) -> Verification:
    """How well `detail` maps into `work`: the matches one similarity transform explains, and where it lands."""
    if len(detail) < 4 or len(work) < 4:
        return Verification(inliers=0, box=None)
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(detail.descriptors, work.descriptors, k=2)
    good = [pair[0] for pair in pairs if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance]
    # One match per keypoint of the work: many detail keypoints landing on one work keypoint (a flat area) would
    # otherwise "agree" on a transform that shrinks the detail to a point.
    best: dict[int, cv2.DMatch] = {}
    for match in good:
        if match.trainIdx not in best or match.distance < best[match.trainIdx].distance:
            best[match.trainIdx] = match
    good = list(best.values())
    if len(good) < MIN_INLIERS:  # too few to confirm anything: most unrelated works stop here, before RANSAC
        return Verification(inliers=0, box=None)
    source = detail.points[[match.queryIdx for match in good]]
    target = work.points[[match.trainIdx for match in good]]
    transform, inlier_mask = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                         ransacReprojThreshold=RANSAC_PIXELS, maxIters=RANSAC_ROUNDS)
    if transform is None or inlier_mask is None:
        return Verification(inliers=0, box=None)
    # The detail's size in the work, relative to its own copy: outside these bounds the "transform" is chance.
    scale = float(np.hypot(*transform[:, 0])) * max(detail.width, detail.height) / max(work.width, work.height)
    if not MIN_SCALE <= scale <= MAX_SCALE:
        return Verification(inliers=0, box=None)
    return Verification(inliers=int(inlier_mask.sum()), box=_landing_box(transform, detail, work))


def _landing_box(transform: np.ndarray, detail: Keypoints, work: Keypoints) -> Box | None:
    """The detail's corners carried into the work, as a box in fractions of the work (None if it falls outside)."""
    corners = np.array([[0, 0], [detail.width, 0], [0, detail.height], [detail.width, detail.height]], np.float32)
    landed = corners @ transform[:, :2].T + transform[:, 2]
    left, top = np.clip(landed.min(axis=0) / (work.width, work.height), 0, 1)
    right, bottom = np.clip(landed.max(axis=0) / (work.width, work.height), 0, 1)
    if right - left < 0.01 or bottom - top < 0.01:
        return None
    return Box(float(left), float(top), float(right - left), float(bottom - top))
