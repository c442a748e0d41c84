"""The Korean and Chinese editions: each chapter built from ``notebooks/`` and one gettext
catalog per chapter and language, ``translations/<language>/<chapter>.po``.

A catalog holds one entry per heading, paragraph, list item and table cell of the chapter's
Markdown (split and put back together by ``mdpo``) and one per code comment. Code is copied
as it is, with its comments translated, and each edition chapter gets one cell of its own
after the first: ``use_language("ko")``, which makes the exercise checks and chapter 08's
diagnoses speak the edition's language.

``python -m coursetools.editions refresh``  brings every catalog in step with the English:
    a new paragraph gets an empty entry, a changed one keeps its old translation marked
    fuzzy, and the command lists what is left to translate.
``python -m coursetools.editions check``    fails, naming language, chapter and paragraph,
    while any entry is missing, empty or fuzzy.
``python -m coursetools.editions build``    writes ``ko/`` and ``zh/`` (refuses while
    `check` fails), then runs each edition chapter to store its outputs.

Example:
    >>> [entry.msgid for entry in markdown_entries("## Setup\\n\\nRun **this**.")]
    ['Setup', 'Run **this**.']
    >>> [c.text for c in code_comments('x = 1  # one\\n%time y = 2\\n# two')]
    ['one', 'two']
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib
from babel.messages.extract import extract_from_dir
from mdpo.md2po import Md2Po
from mdpo.po2md import Po2Md

from coursetools.course import EDITIONS, REPO, chapter_paths
from helpers._runtime.language import DOMAIN, LOCALES

CATALOGS = REPO / "translations"
REFRESH = "make translations"
"""The one command that brings the catalogs in step with the English."""
FUZZY_MATCH = 0.6
"""How alike (difflib's ratio) an old English text must be for its translation to be kept,
marked fuzzy, when the English changes."""
SETUP_CELL = {
    "ko": 'from helpers.language import use_language\n\n'
          'use_language("ko")  # 연습 문제 확인과 진단 메시지를 한국어로 보여 줍니다',
    "zh": 'from helpers.language import use_language\n\n'
          'use_language("zh")  # 练习检查和诊断信息以中文显示',
}
"""The one cell an edition adds, after the chapter's first code cell."""


@dataclass(frozen=True)
class Comment:
    """A code comment: its text (without ``# ``), and where it is (row from 1, column)."""

    text: str
    row: int
    col: int


def markdown_entries(markdown: str) -> list[polib.POEntry]:
    """One entry per heading, paragraph, list item and table cell of ``markdown`` (mdpo).

    Example:
        >>> [e.msgid for e in markdown_entries("| a | b |\\n|---|---|\\n| c | d |")]
        ['a', 'b', 'c', 'd']
    """
    return list(Md2Po(markdown).extract())


def code_comments(source: str) -> list[Comment]:
    """The comments of a code cell, in order. IPython's magic lines (``%...``, ``!...``)
    are read as blank lines; a ``%%writefile`` cell's body is read as Python.

    Example:
        >>> code_comments("%%writefile a.py\\nprint(1)  # hello")
        [Comment(text='hello', row=2, col=10)]
    """
    lines = source.splitlines(keepends=True)
    python = "".join("\n" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    comments = []
    for token in tokenize.generate_tokens(io.StringIO(python).readline):
        if token.type == tokenize.COMMENT:
            text = token.string[1:].strip()
            if text:
                comments.append(Comment(text, *token.start))
    return comments


def chapter_entries(notebook: nbformat.NotebookNode) -> list[polib.POEntry]:
    """Every entry of a chapter in order, each with its cell as occurrence (``cell 7``) and,
    for a comment, the note ``code comment``.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hi"),
        ...                                      nbformat.v4.new_code_cell("x  # why")])
        >>> [(e.msgid, e.occurrences, e.comment) for e in chapter_entries(nb)]
        [('Hi', [('cell', '0')], ''), ('why', [('cell', '1')], 'code comment')]
    """
    entries: dict[str, polib.POEntry] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            found = [(entry.msgid, "") for entry in markdown_entries(cell.source)]
        elif cell.cell_type == "code":
            found = [(comment.text, "code comment") for comment in code_comments(cell.source)]
        else:
            continue
        for msgid, note in found:
            entry = entries.setdefault(msgid, polib.POEntry(msgid=msgid, msgstr="", comment=note))
            entry.occurrences.append(("cell", str(index)))
    return list(entries.values())


def catalog_path(language: str, chapter: str) -> Path:
    """``translations/<language>/<chapter>.po``.

    Example:
        >>> catalog_path("ko", "00_setup").relative_to(REPO).as_posix()
        'translations/ko/00_setup.po'
    """
    return CATALOGS / language / f"{chapter}.po"


def new_catalog(language: str) -> polib.POFile:
    """An empty catalog with the header translators' tools read."""
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = {"Project-Id-Version": "pytorch-tensorboard-course",
                        "Language": language, "MIME-Version": "1.0",
                        "Content-Type": "text/plain; charset=UTF-8",
                        "Content-Transfer-Encoding": "8bit"}
    return catalog


def refreshed(old: polib.POFile, english: list[polib.POEntry], language: str) -> polib.POFile:
    """The catalog for ``english``: translations of unchanged texts kept, a changed text's
    old translation kept but marked fuzzy (with the old English beside it), new texts empty.

    Example:
        >>> old = new_catalog("ko"); old.append(polib.POEntry(msgid="Train the net.", msgstr="학습"))
        >>> new = refreshed(old, [polib.POEntry(msgid="Train the net!")], "ko")
        >>> new[0].msgstr, new[0].fuzzy, new[0].previous_msgid
        ('학습', True, 'Train the net.')
    """
    known = {entry.msgid: entry for entry in old if entry.msgstr}
    catalog = new_catalog(language)
    for entry in english:
        fresh = polib.POEntry(msgid=entry.msgid, msgstr="", comment=entry.comment,
                              occurrences=entry.occurrences, flags=list(entry.flags), wrapwidth=0)
        before = known.get(entry.msgid)
        if before is None:
            close = difflib.get_close_matches(entry.msgid, list(known), n=1, cutoff=FUZZY_MATCH)
            if close:
                before = known[close[0]]
                fresh.flags.append("fuzzy")
                fresh.previous_msgid = before.msgid
        if before is not None:
            fresh.msgstr = before.msgstr
            if before.fuzzy and "fuzzy" not in fresh.flags:
                fresh.flags.append("fuzzy")
                fresh.previous_msgid = before.previous_msgid
        catalog.append(fresh)
    return catalog


def english_chapter(chapter: Path) -> nbformat.NotebookNode:
    """The English chapter at ``chapter``."""
    return nbformat.read(chapter, as_version=4)


def helpers_catalog_path(language: str) -> Path:
    """The catalog of what ``helpers`` prints in ``language``: the exercise checks and chapter
    08's diagnoses (``helpers/locale/<language>/LC_MESSAGES/helpers.po``, with its ``.mo``).

    Example:
        >>> helpers_catalog_path("zh").relative_to(REPO).as_posix()
        'helpers/locale/zh/LC_MESSAGES/helpers.po'
    """
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def helpers_entries() -> list[polib.POEntry]:
    """Every message of ``helpers`` marked with ``_()`` or ``N_()``, found by Babel, each with
    the file and line it is on as occurrence.

    Example:
        >>> any(e.msgid.startswith("exercise {number}: done") for e in helpers_entries())
        True
    """
    entries: dict[str, polib.POEntry] = {}
    found = extract_from_dir(REPO / "helpers", method_map=[("**.py", "python")],
                             keywords={"_": None, "N_": None},
                             directory_filter=lambda folder: Path(folder).name != "__pycache__")
    for filename, line, message, _comments, _context in found:
        flags = ["python-brace-format"] if "{" in message else []
        entry = entries.setdefault(message, polib.POEntry(msgid=message, msgstr="", flags=flags,
                                                          comment="message"))
        entry.occurrences.append((f"helpers/{filename}", str(line)))
    return list(entries.values())


def read_catalog(path: Path, language: str) -> polib.POFile:
    """The catalog at ``path``, or an empty one where there is none yet."""
    return polib.pofile(str(path), wrapwidth=0) if path.exists() else new_catalog(language)


def problems(language: str, name: str, english: list[polib.POEntry], path: Path) -> list[str]:
    """One line per English text of ``english`` whose entry in the catalog at ``path`` is
    missing, empty, fuzzy or changes the text's code and placeholders, naming where it is."""
    entries = {entry.msgid: entry for entry in read_catalog(path, language) if not entry.obsolete}
    lines = []
    for text in english:
        entry = entries.get(text.msgid)
        why = ("has no entry" if entry is None else "is fuzzy (the English changed)"
               if entry.fuzzy else "is not translated" if not entry.msgstr.strip()
               else markup_changed(text.msgid, entry.msgstr))
        if why:
            where = ":".join(text.occurrences[0])
            lines.append(f"{language} {name}, {where.replace('cell:', 'cell ')}: the "
                         f"{text.comment or 'text'} {shorten(text.msgid)!r} {why}")
    return lines


def untranslated(language: str, chapter: Path) -> list[str]:
    """What keeps ``chapter``'s edition in ``language`` from being built: one line per
    English text whose entry is missing, empty or fuzzy, naming the cell and the text.

    Example:
        >>> untranslated("ko", chapter_paths()[0])
        []
    """
    return problems(language, chapter.stem, chapter_entries(english_chapter(chapter)),
                    catalog_path(language, chapter.stem))


CODE_SPAN = re.compile(r"`[^`]+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)")
PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")


def markup_changed(english: str, translation: str) -> str:
    """Why ``translation`` does not keep ``english``'s code spans, link targets and lines
    ("" when it does): code is never translated, and a link or picture keeps its target.

    Example:
        >>> markup_changed("Call `f()` [here](a.md).", "`f()` [여기](a.md)를 호출합니다.")
        ''
        >>> markup_changed("Call `f()`.", "f()를 호출합니다.")
        'changes the code spans (`f()` is missing)'
    """
    for name, pattern in (("code spans", CODE_SPAN), ("link targets", LINK_TARGET),
                          ("placeholders", PLACEHOLDER)):
        before, after = pattern.findall(english), pattern.findall(translation)
        if sorted(before) != sorted(after):
            missing = [span for span in before if span not in after] or after
            return f"changes the {name} ({missing[0]} is missing)" if set(before) - set(after) \
                else f"changes the {name} ({missing[0]} is new)"
    if translation.count("\n") != english.count("\n"):
        return "has a different number of lines"
    return ""


def shorten(text: str, width: int = 70) -> str:
    """``text`` on one line, cut to ``width`` characters.

    Example:
        >>> shorten("a\\nb" + "c" * 80, 10)
        'a bcccccc…'
    """
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def translate_comments(source: str, catalog: dict[str, str]) -> str:
    """``source`` with each comment replaced by its translation; the code is untouched.

    Example:
        >>> translate_comments("x = 1  # one\\n", {"one": "하나"})
        'x = 1  # 하나\\n'
    """
    lines = source.splitlines(keepends=True)
    for comment in reversed(code_comments(source)):
        line = lines[comment.row - 1]
        ending = line[len(line.rstrip("\r\n")):]
        lines[comment.row - 1] = line[: comment.col] + "# " + catalog[comment.text] + ending
    return "".join(lines)


def build_chapter(language: str, chapter: Path) -> nbformat.NotebookNode:
    """``chapter``'s edition in ``language``, outputs left out: Markdown and comments from
    the catalog, code as it is, and `SETUP_CELL` after the first code cell.

    Example:
        >>> nb = build_chapter("ko", chapter_paths()[2])
        >>> nb.cells[3].source.splitlines()[-1][:18]
        'use_language("ko")'
    """
    problems = untranslated(language, chapter)
    if problems:
        raise SystemExit("\n".join(problems) + f"\nRun `{REFRESH}`, translate those entries, "
                         "and build again.")
    path = catalog_path(language, chapter.stem)
    catalog = {entry.msgid: entry.msgstr for entry in polib.pofile(str(path))}
    notebook = english_chapter(chapter)
    cells = []
    for cell in notebook.cells:
        cell.pop("id", None)
        if cell.cell_type == "markdown":
            # a Po2Md per cell: one keeps what it translated before and adds it to the next
            cell.source = Po2Md([str(path)], wrapwidth=float("inf")).translate(cell.source).rstrip("\n")
        elif cell.cell_type == "code":
            cell.source = translate_comments(cell.source, catalog)
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if cell.cell_type == "code" and sum(c.cell_type == "code" for c in cells) == 1:
            cells.append(nbformat.v4.new_code_cell(SETUP_CELL[language]))
    notebook.cells = cells
    for index, cell in enumerate(notebook.cells):
        cell.id = f"{language}-{chapter.stem[:2]}-{index:02d}"
    notebook.metadata["language_info"] = notebook.metadata.get("language_info", {})
    notebook.metadata["course_edition"] = language
    return notebook


def catalogs(language: str) -> list[tuple[str, list[polib.POEntry], Path]]:
    """Each catalog of ``language``: its name, the English texts it translates, its path."""
    chapters = [(chapter.stem, chapter_entries(english_chapter(chapter)),
                 catalog_path(language, chapter.stem)) for chapter in chapter_paths()]
    return [*chapters, ("helpers", helpers_entries(), helpers_catalog_path(language))]


def compiled(path: Path) -> Path:
    """Write the ``.mo`` beside the catalog at ``path`` (what Python's gettext reads); return it."""
    target = path.with_suffix(".mo")
    polib.pofile(str(path)).save_as_mofile(str(target))
    return target


def entries(count: int) -> str:
    """``count`` entries, in words.

    Example:
        >>> entries(1), entries(2)
        ('1 entry', '2 entries')
    """
    return f"{count} {'entry' if count == 1 else 'entries'}"


def refresh(languages: list[str]) -> int:
    """Bring every catalog of ``languages`` in step with the English; print what to translate."""
    left = 0
    for language in languages:
        for name, english, path in catalogs(language):
            catalog = refreshed(read_catalog(path, language), english, language)
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog.save(str(path))
            if name == "helpers":
                compiled(path)
            todo = [entry for entry in catalog if entry.fuzzy or not entry.msgstr]
            left += len(todo)
            if todo:
                print(f"{path.relative_to(REPO)}: {entries(len(todo))} to translate")
                for entry in todo:
                    state = "fuzzy" if entry.fuzzy else "new"
                    print(f"  {state}, {' '.join(entry.occurrences[0])}: {shorten(entry.msgid)}")
    print(f"{entries(left)} to translate." if left else "Every catalog is translated.")
    return 0


def check(languages: list[str]) -> list[str]:
    """Every line of `problems` for every catalog of ``languages``."""
    return [line for language in languages for name, english, path in catalogs(language)
            for line in problems(language, name, english, path)]


def edition_path(language: str, chapter: Path) -> Path:
    """Where ``chapter``'s edition in ``language`` is kept: ``<language>/<chapter>.ipynb``.

    Example:
        >>> edition_path("zh", chapter_paths()[0]).relative_to(REPO).as_posix()
        'zh/00_setup.ipynb'
    """
    return REPO / language / chapter.name


def build(languages: list[str], chapters: list[str], execute: bool = True) -> int:
    """Write each edition chapter, then (``execute``) run it to store its outputs."""
    from coursetools.execute import execute_chapters

    paths = [p for p in chapter_paths() if not chapters or p.name[:2] in chapters]
    for language in languages:
        targets = [edition_path(language, chapter) for chapter in paths]
        for chapter, target in zip(paths, targets):
            target.parent.mkdir(exist_ok=True)
            nbformat.write(build_chapter(language, chapter), target)
        if execute:  # a fresh course per language, as a learner's: no other edition's runs
            execute_chapters(targets)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m coursetools.editions refresh|check|build [--language ko]``."""
    parser = argparse.ArgumentParser(prog="python -m coursetools.editions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["refresh", "check", "build"])
    parser.add_argument("--language", choices=list(EDITIONS), action="append")
    parser.add_argument("--no-execute", action="store_true", help="build: leave outputs out")
    parser.add_argument("chapters", nargs="*", help="build: chapter numbers (default: all)")
    args = parser.parse_intermixed_args(argv)
    languages = args.language or list(EDITIONS)
    if args.action == "refresh":
        return refresh(languages)
    if args.action == "check":
        problems = check(languages)
        if problems:
            print("\n".join(problems), f"\nRun `{REFRESH}`: it lists what to translate.", sep="")
            return 1
        print("Every catalog is translated.")
        return 0
    return build(languages, args.chapters, execute=not args.no_execute)


if __name__ == "__main__":
    sys.exit(main())
