"""The course's helpers: what the chapters import, each module readable top to bottom.

Public modules (the chapters, the solutions and you may import them):

- `helpers.paths`: the course's folder (``runs/``, ``data/``, ``checkpoints/`` live there).
- `helpers.data`: Fashion-MNIST and CIFAR-10 as tensors, the tutorial's transform and
  `select_n_random`, and loaders.
- `helpers.model`: the tutorial's `Net`, and which device to train on.
- `helpers.plots`: the tutorial's `matplotlib_imshow`, `images_to_probs` and
  `plot_classes_preds`, and chapter 05's confusion matrix.
- `helpers.train`: chapter 04's training loop as `fit`, evaluation, saved weights.
- `helpers.board`: a chapter's runs read back, and what each dashboard will show.
- `helpers.inline`: what TensorBoard's ``%tensorboard`` magic needs around it.
- `helpers.embedding`, `helpers.compare`, `helpers.distributed`, `helpers.debugging`:
  what chapters 03, 06, 07 and 08 need beside their own code.
- `helpers.exercises`: the exercise report at the end of every chapter.
- `helpers.language`: `use_language`, which the Korean and Chinese editions call first.

`helpers._runtime` holds what no learner needs to open to follow a chapter: the input
checks and their messages, TensorBoard's processes, the data files, checksums, CPU sharing
the exercise checks and reading runs back. Only the public modules import it; the tooling,
the tests and the benchmark may import its torch-free `servers`, `datafiles` and `language`
(tests/test_boundaries.py).
"""
