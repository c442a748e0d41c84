"""Tooling that opens and checks the course; no chapter imports it.

``python -m coursetools.lab`` (what ``make lab`` runs) gives the learner their own copies
of the chapters and opens the course in JupyterLab; `coursetools.jupyterlab` drives that
JupyterLab in a real browser for the learner-path tests.
"""
