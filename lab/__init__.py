"""The local lab: the lab spec's nodes as qemu TCG VMs in a network namespace of its own.

Everything the lab creates carries its environment's name (namespace, state directory, qemu
command line), and the lab touches nothing it cannot prove is its own.
"""
