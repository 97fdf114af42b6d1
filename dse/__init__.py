"""dse: design-space exploration for compact CNNs on CIFAR."""

__version__ = "0.1.0"
