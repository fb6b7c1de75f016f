"""`featurestore bench`'s disk estimate: about 1 KB per profile and generated day, for the folders present at once."""

from __future__ import annotations

from featurestore.bench.command import disk_needed


def test_without_keep_the_largest_folder_counts() -> None:
    # 5,000 x 90 x 1 KB = 450 MB; 1,000 x 90 = 90 MB; the flat-cost folder: (200 + 2,000 dormant) x 90 = 198 MB
    assert disk_needed([1_000, 5_000], 90, keep=False, flat_cost_profiles=200) == 450_000_000
    assert disk_needed([1_000], 90, keep=False, flat_cost_profiles=200) == 198_000_000


def test_with_keep_every_folder_counts() -> None:
    assert disk_needed([1_000, 5_000], 90, keep=True, flat_cost_profiles=200) == 738_000_000
    assert disk_needed([1_000_000], 30, keep=True, flat_cost_profiles=None) == 30_000_000_000
