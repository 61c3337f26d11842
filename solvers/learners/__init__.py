"""Convex learners: the :class:`~ftprop_exact.solvers.learners.base.SeparabilityLearner`
protocol and the rigorous separator check (``base``), the exact LP learner (``lp``) and the
batched "auto" learner (``auto``)."""
