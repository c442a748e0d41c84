"""Open the course in JupyterLab, on the learner's own copies of the chapters.

``make lab`` runs ``python -m coursetools.lab``. It copies each ``notebooks/NN_*.ipynb``
to ``my-notebooks/`` (git-ignored) unless that copy already exists, and starts JupyterLab
with the course's root as its root folder (so a chapter's pictures ``../docs/...`` load),
opening ``my-notebooks/00_setup.ipynb``. The pristine ``notebooks/`` stay as they are for
the tests, and JupyterLab's autosave never touches a tracked file.

``make lab LANG=ko`` (``--language ko``; ``zh`` for Chinese) does the same with the Korean
edition, ``ko/`` into ``my-notebooks-ko/``, installs JupyterLab's Korean language pack if it
is missing and opens JupyterLab in Korean.

Extra arguments go to ``jupyter lab`` unchanged::

    python -m coursetools.lab --no-browser --port 8890
    python -m coursetools.lab --course "/tmp/My Course" --no-browser

Example:
    >>> from pathlib import Path
    >>> lab_command(Path("/c"), ["--no-browser"], python="py", as_root=False)[3:]
    ['--ServerApp.root_dir=/c', '/c/my-notebooks/00_setup.ipynb', '--no-browser']
    >>> lab_command(Path("/c"), python="py", as_root=False, language="ko")[4]
    '/c/my-notebooks-ko/00_setup.ipynb'
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from coursetools.course import CHAPTERS, EDITIONS, REPO, chapter_paths, edition_paths
from helpers.paths import COURSE_DIR_ENV

COPIES = "my-notebooks"
FIRST = "00_setup.ipynb"
NO_NEWS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                           "checkForUpdates": False}}
"""JupyterLab's own settings for the course: no "get notified about Jupyter news?" prompt
over the first chapter, and no request to a website at every start."""
LANGUAGE_PACKS = {"ko": ("jupyterlab-language-pack-ko-KR", "ko_KR"),
                  "zh": ("jupyterlab-language-pack-zh-CN", "zh_CN")}
"""Each edition's JupyterLab language pack (PyPI) and the locale it gives JupyterLab."""


def copies_folder(course: Path, language: str | None = None) -> Path:
    """Where the learner's copies go: ``my-notebooks/``, or ``my-notebooks-ko/`` for an edition
    (beside ``notebooks/``, so the chapters' pictures ``../docs/...`` load).

    Example:
        >>> copies_folder(Path("/c"), "zh").as_posix()
        '/c/my-notebooks-zh'
    """
    return course / (COPIES if language is None else f"{COPIES}-{language}")


def copy_chapters(course: Path, language: str | None = None) -> list[Path]:
    """Copy every chapter (of the edition ``language``) into `copies_folder` where no copy
    exists yet; return the new copies.

    A learner's copy is never overwritten: delete it to get a fresh one next time.

    Example:
        >>> copy_chapters(Path("/my/course"))  # doctest: +SKIP
        [PosixPath('/my/course/my-notebooks/00_setup.ipynb'), ...]
    """
    folder = copies_folder(course, language)
    folder.mkdir(exist_ok=True)
    made = []
    for chapter in chapter_paths(course) if language is None else edition_paths(language, course):
        copy = folder / chapter.name
        if not copy.exists():
            shutil.copyfile(chapter, copy)
            made.append(copy)
    return made


def copies_message(course: Path, language: str | None = None) -> str:
    """The one line that tells the learner where their copies are.

    Example:
        >>> print(copies_message(Path("/c")))  # doctest: +NORMALIZE_WHITESPACE
        Your own copies of the chapters are in /c/my-notebooks (delete one to get a fresh copy
        next time).
    """
    return (f"Your own copies of the chapters are in {copies_folder(course, language)} "
            "(delete one to get a fresh copy next time).")


def running_as_root() -> bool:
    """Whether this process runs as root (never on systems without ``os.geteuid``).

    Example:
        >>> running_as_root() in (True, False)
        True
    """
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(course: Path, extra: Sequence[str] = (), python: str = sys.executable,
                as_root: bool | None = None, language: str | None = None) -> list[str]:
    """The ``jupyter lab`` command: root folder ``course``, opening the first chapter's copy.

    ``--allow-root`` is added when running as root (JupyterLab refuses to start otherwise).

    Example:
        >>> lab_command(Path("/c"), python="py", as_root=True)
        ['py', '-m', 'jupyterlab', '--ServerApp.root_dir=/c', '/c/my-notebooks/00_setup.ipynb', \
'--allow-root']
    """
    command = [python, "-m", "jupyterlab", f"--ServerApp.root_dir={course}",
               str(copies_folder(course, language) / FIRST), *extra]
    if (running_as_root() if as_root is None else as_root) and "--allow-root" not in extra:
        command.append("--allow-root")
    return command


def lab_env(course: Path, environ: Mapping[str, str] | None = None,
            python: str = sys.executable) -> dict[str, str]:
    """JupyterLab's environment: ``COURSE_DIR`` is ``course``, this Python's ``bin`` is first on
    ``PATH`` (so the kernel finds this environment's ``tensorboard``).

    Example:
        >>> env = lab_env(Path("/c"), {"PATH": "/usr/bin"}, python="/venv/bin/python")
        >>> env["COURSE_DIR"], env["PATH"].split(os.pathsep)
        ('/c', ['/venv/bin', '/usr/bin'])
    """
    env = dict(os.environ if environ is None else environ)
    env[COURSE_DIR_ENV] = str(course)
    if env.get("LANG") in EDITIONS:  # `make lab LANG=ko` chose an edition, not a locale
        env["LANG"] = "C.UTF-8"
    bin_dir = str(Path(python).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env["PATH"]]) if env.get("PATH") else bin_dir
    return env


def settings_folder(language: str | None = None, prefix: str | None = None) -> Path:
    """JupyterLab's application settings for the course: this environment's own
    (``share/jupyter/lab/settings``), or, for an edition, a folder of that language's
    (``settings-ko``) that the launcher points JupyterLab at, so a Korean and an English
    JupyterLab of one environment never change each other's language.

    Example:
        >>> settings_folder("ko", "/venv").as_posix()
        '/venv/share/jupyter/lab/settings-ko'
    """
    lab = Path(prefix or sys.prefix) / "share" / "jupyter" / "lab"
    return lab / ("settings" if language is None else f"settings-{language}")


def settle_settings(language: str | None = None, prefix: str | None = None) -> Path:
    """Write `NO_NEWS`, and for an edition its language pack's locale, as default settings
    (``overrides.d/`` of `settings_folder`, which JupyterLab reads at start); return the file.
    A learner can still change either in *Settings*.

    Example:
        >>> import tempfile
        >>> path = settle_settings("zh", tempfile.mkdtemp())
        >>> json.loads(path.read_text())["@jupyterlab/translation-extension:plugin"]
        {'locale': 'zh_CN'}
    """
    settings = dict(NO_NEWS)
    if language is not None:
        settings["@jupyterlab/translation-extension:plugin"] = {"locale": LANGUAGE_PACKS[language][1]}
    folder = settings_folder(language, prefix) / "overrides.d"
    path = folder / "pytorch-tensorboard-course.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    except OSError:  # a JupyterLab installed for the whole system: it asks once, that is all
        pass
    return path


def install_language_pack(language: str, python: str = sys.executable) -> None:
    """Install the edition's JupyterLab language pack (`LANGUAGE_PACKS`) if it is missing."""
    package = LANGUAGE_PACKS[language][0]
    try:
        metadata.version(package)
    except metadata.PackageNotFoundError:
        print(f"Installing {package} (JupyterLab in {EDITIONS[language]}) ...", flush=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", package], check=True)


def parse_args(argv: Sequence[str]) -> tuple[Path, list[str], str | None]:
    """The course folder (``--course``, else the repository), the arguments for JupyterLab,
    and the edition's language (``--language ko``; None: English).

    Example:
        >>> parse_args(["--course", "/c", "--no-browser", "--port", "8890"])
        (PosixPath('/c'), ['--no-browser', '--port', '8890'], None)
        >>> parse_args(["--language", "zh"])[2]
        'zh'
    """
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.lab", add_help=False,
        description="Open the course in JupyterLab; other arguments go to `jupyter lab`.")
    parser.add_argument("--course", type=Path, default=None,
                        help="the course's root folder (default: the one holding coursetools/)")
    parser.add_argument("--language", choices=sorted(EDITIONS), default=None,
                        help="open the Korean (ko) or Chinese (zh) edition, in a JupyterLab "
                             "in that language")
    known, extra = parser.parse_known_args(list(argv))
    course = (known.course or REPO).expanduser().resolve()
    return course, extra, known.language


def main(argv: Sequence[str] | None = None) -> int:
    """Copy the chapters, then replace this process with JupyterLab (POSIX) or run it.

    Example:
        >>> main(["--course", "/my/course", "--no-browser"])  # doctest: +SKIP
        Your own copies of the chapters are in /my/course/my-notebooks (delete one to get ...
    """
    course, extra, language = parse_args(sys.argv[1:] if argv is None else argv)
    if not chapter_paths(course):
        print(f"No chapters in {course / CHAPTERS}: pass the course's folder with --course DIR.",
              file=sys.stderr)
        return 2
    if language is not None:
        install_language_pack(language)
        extra = [f"--LabApp.app_settings_dir={settings_folder(language)}", *extra]
    copy_chapters(course, language)
    settle_settings(language)
    print(copies_message(course, language), flush=True)
    command, env = lab_command(course, extra, language=language), lab_env(course)
    os.chdir(course)
    if os.name == "posix":
        sys.stderr.flush()
        os.execvpe(command[0], command, env)  # signals (Ctrl+C, SIGTERM) reach JupyterLab itself
        return 0  # only reached where exec is replaced (tests)
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
