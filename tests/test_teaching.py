"""The teaching kit's data agree with the notebooks, cover every chapter, and render the page."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
import yaml

from booktools import student, teaching

ROOT = Path(__file__).resolve().parents[1]


def chapter_keys() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [s["file"] for part in toc["parts"] if part.get("numbered")
            for chapter in part["chapters"] for s in chapter.get("sections", [])]


def test_teaching_data_agree_with_the_notebooks():
    assert teaching.problems() == []


def test_every_chapter_has_a_session_plan_in_reading_order():
    data = teaching.chapters(teaching.load())
    assert list(data) == chapter_keys()


def test_written_assignments_have_rubrics():
    assignments = teaching.load().get("assignments") or []
    assert len(assignments) >= 3


def test_the_session_plans_page_is_up_to_date():
    page = teaching.PAGE.read_text(encoding="utf-8")
    assert page == teaching.render(), "run `python -m booktools.teaching` to rewrite the page"


def test_the_student_edition_marks_every_exercise_with_its_level(tmp_path):
    levels = teaching.exercise_levels()
    for key in chapter_keys()[:3] + chapter_keys()[-2:]:
        nb = nbformat.reads((ROOT / f"{key}.ipynb").read_text(encoding="utf-8"), as_version=4)
        edition = student.student_notebook(nb, levels)
        md = "\n".join(c.source for c in edition.cells if c.cell_type == "markdown")
        labels = teaching.outline(ROOT / f"{key}.ipynb")["exercises"]
        assert md.count("*Level ") == len(labels), key
        for label in labels:
            assert teaching.level_line(*levels[label]) in md


def _fake_chapter(root: Path) -> dict:
    (root / "chapters").mkdir()
    md = ("# A chapter\n\n:::{admonition} Learning objectives\n:class: tip\n"
          "After this chapter you can\n- do one thing;\n- do another.\n:::\n\n"
          "## First\n\ntext\n\n## Second\n\n"
          "```{exercise} One\n:label: ex-one\n\nDo.\n```\n\n"
          "```{exercise} Two\n:label: ex-two\n\nThink.\n```\n")
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": md}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (root / "chapters" / "c.ipynb").write_text(json.dumps(nb))
    return {"chapters/c": {
        "session": [{"minutes": 30, "section": "First", "do": "run it"},
                    {"minutes": 60, "do": "exercises"}],
        "objectives": [{"objective": "one", "sections": ["First"], "exercises": ["ex-one"]},
                       {"objective": "two", "sections": ["Second"], "exercises": ["ex-two"]}],
        "exercises": {"ex-one": {"difficulty": 1, "minutes": 5},
                      "ex-two": {"difficulty": 3, "minutes": 30,
                                 "rubric": ["names the cause (2 pts)", "measures it (2 pts)"]}},
    }, "assignments": [{"title": "Brief", "rubric": ["a (1 pt)", "b (1 pt)"]}]}


def test_problems_name_what_disagrees(tmp_path):
    good = _fake_chapter(tmp_path)
    assert teaching.problems(good, root=tmp_path) == []
    cases = [
        (lambda d: d["chapters/c"]["session"][1].update(minutes=50), "sums to 80"),
        (lambda d: d["chapters/c"]["session"][0].update(section="Third"), "not a heading"),
        (lambda d: d["chapters/c"]["objectives"].pop(), "1 objectives mapped"),
        (lambda d: d["chapters/c"]["exercises"].pop("ex-one"), "missing ['ex-one']"),
        (lambda d: d["chapters/c"]["exercises"]["ex-two"].pop("rubric"), "needs a rubric"),
        (lambda d: d["chapters/c"]["exercises"]["ex-one"].update(difficulty=4), "1, 2 or 3"),
        (lambda d: d["chapters/c"]["objectives"][0].update(exercises=["ex-x"]), "unknown exercise"),
        (lambda d: d["chapters/c"]["objectives"][0].update(exercises=[]), "serves no objective"),
        (lambda d: d.update({"chapters/missing": {}}), "no notebook"),
        (lambda d: d["assignments"][0].update(rubric=[]), "assignments: entry 1"),
    ]
    for change, message in cases:
        data = copy.deepcopy(good)
        change(data)
        found = teaching.problems(data, root=tmp_path)
        assert any(message in p for p in found), (message, found)


def test_level_line_refuses_an_unknown_level():
    assert teaching.level_line(2, 15) == "Level 2 of 3 (apply) · about 15 min"
    with pytest.raises(ValueError, match="1, 2 or 3"):
        teaching.level_line(0, 5)


def test_the_instructor_guide_gives_prerequisites_for_every_chapter():
    guide = (ROOT / "backmatter" / "instructors.md").read_text(encoding="utf-8")
    rows = {}
    for line in guide.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0][:1].isdigit() and "." in cells[0].split()[0]:
            rows[cells[0].split()[0]] = cells
    numbers = teaching._numbers(ROOT)
    for key in chapter_keys():
        number = numbers[key]
        assert number in rows, f"the instructor guide has no row for chapter {number} ({key})"
        _, prerequisites, core, cut, exercises = rows[number]
        assert prerequisites and core and exercises, f"chapter {number}'s row is incomplete"
