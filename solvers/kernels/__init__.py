"""Batched perceptron kernels: the perceptron learner (``perceptron``) and its numpy/cupy
(``perceptron_xp``) and numba (``perceptron_numba``) epoch kernels."""
