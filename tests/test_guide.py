"""The user guide's Python examples (docs/guide/*.rst) run and print what they show."""

import doctest
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def test_the_guide_has_pages_with_examples():
    names = {page.stem for page in PAGES}
    assert {"lookups", "cohorts", "protocols", "verification", "kidney", "large-cohorts", "web"} <= names
    assert sum(doctest.DocTestParser().get_examples(page.read_text(encoding="utf-8")) != [] for page in PAGES) >= 4


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_guide_examples(page):
    failures, _ = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS, encoding="utf-8")
    assert failures == 0
