"""What the public helpers need and a learner need not open: input checks and their
messages, TensorBoard's processes and proxy, data files, checksums, CPU sharing, and the
exercise checks. Only ``helpers`` imports it, except `servers` (torch-free), which the
tooling shares.
"""
