"""Cross-check of the plug-in and Miller-Madow estimators against infomeasure.

infomeasure (Butz et al.) is an independent implementation: its ``discrete`` approach is
the plug-in estimate and its ``miller_madow`` approach the Miller-Madow correction, for
entropies and, through them, for mutual information.  Seeded random data, from dense
tables to sparse ones with empty cells (where the corrections differ most).
"""

import numpy as np
import pytest

from diehl_cook.information import entropy, joint_entropy, mutual_information

im = pytest.importorskip("infomeasure")

# (n_samples, alphabet of x, alphabet of y): dense, sparse (most joint cells empty), binary
CASES = [(2000, 4, 4), (60, 12, 9), (500, 2, 2), (37, 30, 3)]


def _data(seed, n_samples, n_x, n_y):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, n_x, n_samples)
    # y depends on x through a noisy map, so the MI is neither 0 nor maximal
    y = np.where(rng.random(n_samples) < 0.6, x % n_y, rng.integers(0, n_y, n_samples))
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", CASES, ids=lambda case: "n{}-{}x{}".format(*case))
@pytest.mark.parametrize(
    ("ours", "theirs"), [("plugin", "discrete"), ("miller_madow", "miller_madow")]
)
@pytest.mark.parametrize("base", [2, np.e])
def test_entropies_and_information_match_infomeasure(seed, case, ours, theirs, base):
    x, y = _data(seed, *case)
    their_base = "e" if base == np.e else base
    assert entropy(x, base=base, estimator=ours) == pytest.approx(
        im.entropy(x, approach=theirs, base=their_base), rel=1e-12, abs=1e-12
    )
    assert joint_entropy(x, y, base=base, estimator=ours) == pytest.approx(
        im.entropy((x, y), approach=theirs, base=their_base), rel=1e-12, abs=1e-12
    )
    theirs_mi = im.mutual_information(x, y, approach=theirs, base=their_base)
    ours_mi = mutual_information(x, y, base=base, estimator=ours)
    assert ours_mi == pytest.approx(theirs_mi, rel=1e-10, abs=1e-12)
