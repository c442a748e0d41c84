"""Tooling that opens, builds and checks the course. No chapter imports it, and the Colab
edition never carries it: the tests, the screenshots and the benchmark do.

- `coursetools.course`: the repository (``REPO``), its chapters, a scratch copy of the
  course with the real ``data/`` linked; every other module and the tests use it.
- `coursetools.lab`: ``make lab``, the learner's own copies of the chapters and JupyterLab.
- `coursetools.prepare_data`: ``make data``, Fashion-MNIST ready before the course opens.
- `coursetools.execute`: the chapters run top to bottom, their outputs stored.
- `coursetools.chapters`: the chapters' own runs and settings, for tests and screenshots.
- `coursetools.tensorboard`: a TensorBoard server a test or a screenshot owns and stops.
- `coursetools.dashboards`: each chapter's dashboard in Chromium, and what it must show.
- `coursetools.screenshots`: ``make screenshots``, the dashboards photographed.
- `coursetools.colab`: ``make colab``, each chapter as one Colab notebook.
- `coursetools.editions`: ``make translations`` and ``make editions``, the Korean and
  Chinese chapters from ``notebooks/`` and their gettext catalogs.
- `coursetools.lab_server`: JupyterLab started as ``make lab`` starts it, for the tests.
- `coursetools.lab_page`: that JupyterLab's page driven in Chromium, as a learner clicks.
- `coursetools.tensorboard_responses`: the scalar points TensorBoard's page received.

Importing any of them loads no torch: from ``helpers`` they import only the torch-free
`helpers.paths`, `helpers._runtime.servers`, `helpers._runtime.datafiles` and
`helpers._runtime.language`
(tests/test_boundaries.py keeps it so).
"""
