"""Threshold tuning on out-of-fold probabilities."""

import numpy as np

from peelnlp.tuning import GRID, PLATEAU, _best_threshold, plateau_centre


def test_plateau_centre_takes_the_middle_of_the_near_best_points():
    points = [(0.3,), (0.4,), (0.5,), (0.6,), (0.7,)]
    scores = [0.70, 0.80, 0.80 - PLATEAU / 2, 0.80, 0.60]
    assert plateau_centre(scores, points) == (0.5,)


def test_plateau_centre_with_one_clear_best_returns_it():
    points = [(0.3, 0.3), (0.6, 0.3), (0.6, 0.6)]
    assert plateau_centre([0.5, 0.9, 0.5], points) == (0.6, 0.3)


def test_plateau_centre_lands_on_the_grid():
    points = [(float(GRID[0]),), (float(GRID[1]),)]
    (value,) = plateau_centre([1.0, 1.0], points)
    assert value in GRID


def test_best_threshold_separates_classes():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(200), np.ones(200)].astype(int)
    p = np.r_[rng.uniform(0.0, 0.35, 200), rng.uniform(0.65, 1.0, 200)]
    assert 0.35 <= _best_threshold(p, y) <= 0.65
    assert _best_threshold(p, np.zeros_like(y)) == 0.5
