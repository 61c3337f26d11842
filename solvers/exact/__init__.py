"""Searchers that prove: CP-SAT (``cpsat``) with its no-good cuts (``cuts``), the "auto"
portfolio (``portfolio``) and the exact decision of problems without hidden layers
(``single_layer``)."""
