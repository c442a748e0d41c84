"""What the public helpers need and a learner need not open to follow a chapter.

- `checks`: every input check and its message (what was wrong, what to do).
- `servers`: ports, processes and TensorBoard's records of its servers; no torch.
- `datafiles`: Fashion-MNIST's four files, found on this machine first; no torch.
- `runs`: reading runs back with TensorBoard's own reader.
- `grading`, `diagnosis`: the exercise checks and chapter 08's answer key.
- `checksums`: event-file checksums in C; `threads`: sharing a busy CPU.
- `language`: the editions' language of the checks' messages (gettext); no torch.

Only the public `helpers` modules import these; the tooling (``coursetools``), the tests and
the benchmark may import the torch-free `servers`, `datafiles` and `language`
(tests/test_boundaries.py).
"""
