"""Classifiers, one module each, for example
`from cs231n.classifiers.k_nearest_neighbor import KNearestNeighbor`.

Nothing is imported here, so each module loads (and is graded) on its own.
"""
