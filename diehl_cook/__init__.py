"""Unsupervised spiking network of Diehl & Cook (2015) in Brian2.

The package builds the network from plain-text Brian2 equation files (``equations/``),
trains it with spike-timing-dependent plasticity on MNIST, Fashion-MNIST or CIFAR-10,
labels its neurons, measures accuracy and analyses the recorded spikes with information
theory.  Importing the package is cheap: Brian2 is only imported by the modules that build
or run networks.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
