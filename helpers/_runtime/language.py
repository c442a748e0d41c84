"""The language of what the exercise checks and chapter 08's diagnoses print: English, or an
edition's, from the gettext catalogs in ``helpers/locale/<language>/LC_MESSAGES/helpers.mo``.

>>> set_language("ko"); _("{count} process")
'프로세스 {count}개'
>>> set_language("en"); _("{count} process")
'{count} process'
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALES = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "helpers"
LANGUAGES = ("en", *sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))
"""English, and each language whose catalog is here (a Colab edition carries only its own)."""
_current: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str) -> None:
    """Print the checks' messages in ``language`` from now on, in this Python process."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"No language {language!r}: choose one of {', '.join(LANGUAGES)}.")
    _current = (gettext.NullTranslations() if language == "en"
                else gettext.translation(DOMAIN, LOCALES, languages=[language]))


def _(message: str) -> str:
    """``message`` in the chosen language (as it is where the catalog has no translation)."""
    return _current.gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name)
    """Marks ``message`` for the catalogs where it is defined; `_` translates it where used."""
    return message
