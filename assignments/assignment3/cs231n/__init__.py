"""The course's Python package: data loading, classifiers, layers and training tools.

Import what you need from its modules, for example
`from cs231n.data_utils import load_CIFAR10`. Nothing is imported here, so a
mistake in one module you are still writing does not break the others.
"""
