"""The language the course's checks speak: the Korean and Chinese editions choose theirs in
their first cells, so `report_exercises` and `report_diagnoses` print in it.

>>> use_language("ko")  # doctest: +SKIP
"""

from __future__ import annotations

from helpers._runtime.language import LANGUAGES, set_language


def use_language(language: str) -> None:
    """Print the exercise checks and chapter 08's diagnoses in ``language`` (one of
    ``"en"``, ``"ko"``, ``"zh"``) from now on, in this kernel. PyTorch's and TensorBoard's own
    messages stay in English.

    >>> use_language("en")
    """
    set_language(language)


__all__ = ["LANGUAGES", "use_language"]
