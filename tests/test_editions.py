"""The Korean and Chinese editions (``ko/``, ``zh/``) stay in step with the English chapters:
every English text has a translation that is neither empty nor fuzzy, a changed paragraph is
named until it is translated again, the editions are what their catalogs build, and their
code is the English code."""

from __future__ import annotations

import configparser
import gettext
import io
import re
import tokenize

import nbformat
import polib
import pytest

from coursetools.course import EDITIONS, REPO, chapter_names, chapter_paths, edition_paths
from coursetools.editions import (
    REFRESH,
    SETUP_CELL,
    build_chapter,
    catalog_path,
    chapter_entries,
    check,
    code_comments,
    helpers_catalog_path,
    helpers_entries,
    markup_changed,
    problems,
    refreshed,
    shorten,
    translate_comments,
    untranslated,
)

pytestmark = pytest.mark.unit

PAIRS = [(language, name) for language in EDITIONS for name in chapter_names()]


def test_every_catalog_translates_every_english_text():
    problems = check(list(EDITIONS))
    assert not problems, "\n".join(problems[:20]) + f"\n... run `{REFRESH}` and translate them"


@pytest.fixture
def changed_chapter(tmp_path):
    """Chapter 04 with one paragraph of its first cell reworded, in a folder of its own."""
    chapter = chapter_paths()[4]
    notebook = nbformat.read(chapter, as_version=4)
    old = "**Purpose:** train the tutorial's `Net` on Fashion-MNIST"
    assert old in notebook.cells[0].source
    notebook.cells[0].source = notebook.cells[0].source.replace(old, old.replace("train", "fit"))
    copy = tmp_path / chapter.name
    nbformat.write(notebook, copy)
    return copy


def test_a_changed_english_paragraph_is_named_with_the_command_that_refreshes(changed_chapter):
    for language in EDITIONS:
        lines = untranslated(language, changed_chapter)
        new = "**Purpose:** fit the tutorial's `Net` on Fashion-MNIST and watch it learn"
        assert lines == [f"{language} 04_training, cell 0: the text {shorten(new)!r} has no entry"]
    with pytest.raises(SystemExit, match="ko 04_training, cell 0: .*\nRun `make translations`"):
        build_chapter("ko", changed_chapter)  # never built with the English text in it


def test_refreshing_keeps_the_old_translation_marked_fuzzy_until_it_is_checked(changed_chapter):
    old = polib.pofile(str(catalog_path("ko", "04_training")))
    english = chapter_entries(nbformat.read(changed_chapter, as_version=4))
    new = refreshed(old, english, "ko")
    changed = [entry for entry in new if entry.fuzzy]
    assert [entry.msgid[:30] for entry in changed] == ["**Purpose:** fit the tutorial'"]
    assert changed[0].previous_msgid.startswith("**Purpose:** train")
    assert changed[0].msgstr == old.find(changed[0].previous_msgid).msgstr
    assert len(new) == len(old) and all(entry.msgstr for entry in new)


def test_an_emptied_or_fuzzy_entry_is_named(tmp_path):
    catalog = polib.pofile(str(catalog_path("zh", "00_setup")))
    catalog[1].msgstr = ""
    catalog[2].flags.append("fuzzy")
    copy = tmp_path / "00_setup.po"
    catalog.save(str(copy))
    english = chapter_entries(nbformat.read(chapter_paths()[0], as_version=4))
    assert problems("zh", "00_setup", english, copy) == [
        f"zh 00_setup, cell 0: the text {shorten(catalog[1].msgid)!r} is not translated",
        f"zh 00_setup, cell 0: the text {shorten(catalog[2].msgid)!r} is fuzzy (the English changed)"]


@pytest.mark.parametrize("english, translation, why", [
    ("Call `add_scalar` now.", "지금 add_scalar를 호출합니다.",
     "changes the code spans (`add_scalar` is missing)"),
    ("Call `add_scalar` now.", "现在调用 `add_scalars`。",
     "changes the code spans (`add_scalar` is missing)"),
    ("See [chapter 04](04_training.ipynb).", "[4장](04.ipynb)을 보세요.",
     "changes the link targets (04_training.ipynb is missing)"),
    ("exercise {number}: done.", "练习：完成。", "changes the placeholders ({number} is missing)"),
    ("One line.", "한 줄.\n두 줄.", "has a different number of lines"),
    ("Call `f()` [here](a.md), {n} times.", "{n}번, [여기](a.md)에서 `f()`를 호출합니다.", ""),
])
def test_a_translation_keeps_code_links_and_placeholders(english, translation, why):
    assert markup_changed(english, translation) == why


def test_comments_are_translated_and_code_is_not():
    source = ('%%writefile run.py\nx = "# not a comment"  # a comment\n# own line\n'
              'print(x)\n')
    assert [c.text for c in code_comments(source)] == ["a comment", "own line"]
    assert translate_comments(source, {"a comment": "주석", "own line": "한 줄"}) == (
        '%%writefile run.py\nx = "# not a comment"  # 주석\n# 한 줄\nprint(x)\n')


def without_comments(source: str) -> str:
    """A code cell's tokens without its comments (magic lines kept as they are)."""
    lines = source.splitlines(keepends=True)
    python = "".join("\n" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(python).readline)
              if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
    magics = [line for line in lines if line.lstrip().startswith(("%", "!"))]
    return repr([(t.type, t.string) for t in tokens]) + "".join(magics)


def edition(language: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / language / f"{name}.ipynb", as_version=4)


def test_every_chapter_has_its_editions():
    for language in EDITIONS:
        assert [p.name for p in edition_paths(language)] == [p.name for p in chapter_paths()], (
            f"{language}/ does not hold every chapter: run `make editions`")


@pytest.mark.parametrize("language, name", PAIRS)
def test_the_edition_is_what_its_catalog_builds(language, name):
    built = build_chapter(language, REPO / "notebooks" / f"{name}.ipynb")
    stored = edition(language, name)
    assert [(c.cell_type, c.source) for c in stored.cells] == \
        [(c.cell_type, c.source) for c in built.cells], (
        f"{language}/{name}.ipynb is older than notebooks/ or translations/: run `make editions`")


@pytest.mark.parametrize("language, name", PAIRS)
def test_the_editions_code_is_the_english_code_plus_its_language_cell(language, name):
    english = [c for c in nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4).cells
               if c.cell_type == "code"]
    code = [c for c in edition(language, name).cells if c.cell_type == "code"]
    assert code[1].source == SETUP_CELL[language]
    del code[1]
    assert [without_comments(c.source) for c in code] == [without_comments(c.source) for c in english]
    assert [c.metadata.get("tags") for c in code] == [c.metadata.get("tags") for c in english]


@pytest.mark.parametrize("language", EDITIONS)
def test_the_helpers_catalog_and_its_compiled_copy_agree(language):
    path = helpers_catalog_path(language)
    with open(path.with_suffix(".mo"), "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    source = polib.pofile(str(path))
    assert {e.msgid: e.msgstr for e in source if e.msgstr and not e.fuzzy} == {
        e.msgid: catalog.gettext(e.msgid) for e in source if e.msgstr and not e.fuzzy}
    assert {e.msgid for e in source} >= {e.msgid for e in helpers_entries()}, (
        f"run `{REFRESH}`: helpers prints messages its catalog lacks")


def sanitized(text: str) -> str:
    """``text`` with what nbval's sanitizer (tests/sanitize.cfg) replaces before comparing."""
    config = configparser.ConfigParser()
    config.read(REPO / "tests" / "sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def text_outputs(cell) -> str:
    return "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


@pytest.mark.parametrize("language, name", PAIRS)
def test_the_editions_outputs_are_the_english_ones(language, name):
    """Same code, same output: every output nbval compares, except the lines `helpers` prints
    in the edition's language (the exercise checks, chapter 08's diagnoses)."""
    english = [c for c in nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4).cells
               if c.cell_type == "code"]
    code = [c for c in edition(language, name).cells if c.cell_type == "code"]
    del code[1]
    for index, (theirs, mine) in enumerate(zip(english, code)):
        tags = theirs.metadata.get("tags", [])
        if "nbval-ignore-output" in tags or "nbval-skip" in tags or "report_" in theirs.source:
            continue
        assert sanitized(text_outputs(mine)) == sanitized(text_outputs(theirs)), (
            f"{language}/{name}.ipynb, code cell {index}: its output is not the English one: "
            "run `make editions`")


READMES = {"en": "README.md", "ko": "README.ko.md", "zh": "README.zh.md"}


@pytest.mark.parametrize("language", sorted(READMES))
def test_each_readme_links_the_others_and_its_links_lead_somewhere(language):
    text = (REPO / READMES[language]).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)\)", text)
    others = [name for lang, name in READMES.items() if lang != language]
    assert all(name in targets for name in others), f"{READMES[language]} does not link {others}"
    missing = [t for t in targets if "://" not in t and not (REPO / t).exists()]
    assert not missing, f"{READMES[language]} links to what is not there: {missing}"


@pytest.mark.parametrize("language", sorted(EDITIONS))
def test_a_translated_readme_gives_the_two_commands_and_every_chapter(language):
    text = (REPO / READMES[language]).read_text(encoding="utf-8")
    assert f"make lab LANG={language}" in text and "make test" in text
    listed = re.findall(r"^\| `(\d\d_\w+)\.ipynb` \|", text, re.M)
    assert listed == chapter_names(), f"{READMES[language]}'s chapters table: {listed}"
