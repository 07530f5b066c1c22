"""The teaching kit's data: session plans, objective maps and exercise levels, checked and rendered.

``backmatter/teaching.yml`` holds, for every chapter, what an instructor needs beside the
notebook: a 90-minute session plan (minutes and what to do, with the section it covers), a map
from each learning objective to the sections and exercises that serve it, and for every
exercise a level (1 checks understanding, 2 applies or codes, 3 is open-ended), the minutes a
student needs and, for open-ended ones, a rubric. The file also holds rubrics for the written
assignments of the instructor guide.

This module

* checks the file against the notebooks (:func:`problems`): every section named is a ``## ``
  heading of that chapter, every exercise label exists and every exercise is listed, the
  objectives match the chapter's learning-objective bullets one for one, a plan's minutes sum
  to 90, a level-3 exercise has a rubric;
* renders the instructor's page ``backmatter/session-plans.md`` (:func:`render`), so the page
  and the data cannot drift (the test suite compares them);
* gives the website and the student edition each exercise's level and minutes
  (:func:`exercise_levels`, :func:`level_line`).

Run ``python -m booktools.teaching`` to check the data and rewrite the page, or
``python -m booktools.teaching --check`` to check only (exit status 1 on any problem).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "backmatter" / "teaching.yml"
PAGE = ROOT / "backmatter" / "session-plans.md"
SESSION_MINUTES = 90
LEVELS = {1: "check understanding", 2: "apply", 3: "open-ended"}

_EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n(?::[a-z-]+:[^\n]*\n)*?:label: (\S+)")


def load(path: Path = DATA) -> dict:
    """The teaching data as a dict (chapter path without ``.ipynb`` → entry, plus
    ``assignments``)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the teaching data of the course live there.")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping of chapters, got {type(data).__name__}.")
    return data


def chapters(data: dict) -> dict[str, dict]:
    """The chapter entries of ``data`` (every key but ``assignments``), in file order."""
    return {k: v for k, v in data.items() if k != "assignments"}


def _markdown(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def outline(notebook: Path) -> dict:
    """Title, ``## `` headings, learning-objective bullets and exercise labels of a notebook."""
    md = _markdown(notebook)
    title = re.search(r"^# (.+)$", md, re.M)
    objectives = re.search(r"Learning objectives\n(.*?)\n:::", md, re.S)
    bullets = re.findall(r"^- ", objectives.group(1), re.M) if objectives else []
    return {
        "title": title.group(1).strip() if title else notebook.stem,
        "headings": re.findall(r"^## (.+?)\s*$", md, re.M),
        "n_objectives": len(bullets),
        "exercises": _EXERCISE.findall(md),
    }


def _chapter_problems(key: str, entry: object, root: Path) -> list[str]:
    where = f"{key}:"
    notebook = root / f"{key}.ipynb"
    if not notebook.exists():
        return [f"{where} no notebook {notebook.relative_to(root)}"]
    if not isinstance(entry, dict):
        return [f"{where} must be a mapping with session, objectives and exercises"]
    out = []
    info = outline(notebook)
    headings, labels = set(info["headings"]), info["exercises"]

    session = entry.get("session") or []
    total = 0
    for i, row in enumerate(session, 1):
        minutes = row.get("minutes") if isinstance(row, dict) else None
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            out.append(f"{where} session row {i} needs a positive whole number of minutes")
            continue
        total += minutes
        if not str(row.get("do", "")).strip():
            out.append(f"{where} session row {i} says nothing to do")
        if "section" in row and row["section"] not in headings:
            out.append(f"{where} session row {i} names a section that is not a heading: "
                       f"{row['section']!r}")
    if total != SESSION_MINUTES:
        out.append(f"{where} the session plan sums to {total} minutes, not {SESSION_MINUTES}")

    objectives = entry.get("objectives") or []
    if len(objectives) != info["n_objectives"]:
        out.append(f"{where} {len(objectives)} objectives mapped, the chapter lists "
                   f"{info['n_objectives']}")
    served = set()
    for i, obj in enumerate(objectives, 1):
        if not isinstance(obj, dict) or not str(obj.get("objective", "")).strip():
            out.append(f"{where} objective {i} needs an 'objective' text")
            continue
        sections = obj.get("sections") or []
        if not sections:
            out.append(f"{where} objective {i} names no section")
        out += [f"{where} objective {i} names a section that is not a heading: {s!r}"
                for s in sections if s not in headings]
        for label in obj.get("exercises") or []:
            if label not in labels:
                out.append(f"{where} objective {i} names an unknown exercise {label!r}")
            served.add(label)

    exercises = entry.get("exercises") or {}
    if list(exercises) != labels:
        missing = [x for x in labels if x not in exercises]
        extra = [x for x in exercises if x not in labels]
        out.append(f"{where} exercises must list the chapter's labels in order "
                   f"(missing {missing}, unknown {extra})")
    for label, ex in exercises.items():
        if not isinstance(ex, dict):
            out.append(f"{where} {label} must be a mapping with difficulty and minutes")
            continue
        level, minutes = ex.get("difficulty"), ex.get("minutes")
        if level not in LEVELS:
            out.append(f"{where} {label} difficulty must be 1, 2 or 3, got {level!r}")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            out.append(f"{where} {label} needs a positive whole number of minutes")
        rubric = ex.get("rubric")
        if level == 3 and not (isinstance(rubric, list) and len(rubric) >= 2
                               and all(isinstance(r, str) and r.strip() for r in rubric)):
            out.append(f"{where} {label} is open-ended and needs a rubric of two or more criteria")
        if label in labels and label not in served:
            out.append(f"{where} {label} serves no objective")
    return out


def problems(data: dict | None = None, *, root: Path = ROOT) -> list[str]:
    """Every disagreement between the teaching data and the notebooks (empty when all agree)."""
    data = load() if data is None else data
    out = []
    for key, entry in chapters(data).items():
        out += _chapter_problems(key, entry, root)
    for i, a in enumerate(data.get("assignments") or [], 1):
        if not (isinstance(a, dict) and a.get("title") and isinstance(a.get("rubric"), list)
                and len(a["rubric"]) >= 2):
            out.append(f"assignments: entry {i} needs a title and a rubric of two or more criteria")
    return out


def exercise_levels(data: dict | None = None) -> dict[str, tuple[int, int]]:
    """``{exercise label: (level, minutes)}`` over every chapter."""
    data = load() if data is None else data
    return {label: (ex["difficulty"], ex["minutes"])
            for entry in chapters(data).values()
            for label, ex in (entry.get("exercises") or {}).items()}


def level_line(level: int, minutes: int) -> str:
    """The line shown at the top of an exercise, e.g. ``Level 2 of 3 (apply) · about 20 min``."""
    if level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3, got {level!r}.")
    return f"Level {level} of 3 ({LEVELS[level]}) · about {minutes} min"


def _numbers(root: Path) -> dict[str, str]:
    """Chapter path → its number in the book (``"3.2"``), from ``_toc.yml``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    out, part_no = {}, 0
    for part in toc["parts"]:
        if not part.get("numbered"):
            continue
        for chapter in part["chapters"]:
            part_no += 1
            for i, section in enumerate(chapter.get("sections", []), 1):
                out[section["file"]] = f"{part_no}.{i}"
    return out


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def render(data: dict | None = None, *, root: Path = ROOT) -> str:
    """The Markdown of the session-plans page."""
    data = load() if data is None else data
    numbers = _numbers(root)
    lines = [
        "# Session plans",
        "",
        "<!-- Written by `python -m booktools.teaching` from backmatter/teaching.yml: edit the "
        "data, not this page. -->",
        "",
        "One 90-minute session per chapter: what to do minute by minute, which sections and "
        "exercises serve each learning objective, and how long each exercise takes. Levels: "
        "**1** checks understanding, **2** applies a method or writes code, **3** is open-ended "
        "and comes with a rubric. The same level and minutes are printed at the top of every "
        "exercise in the chapters and in the student edition. Runtimes are on "
        "{doc}`execution-times`; what is core and what can be cut is in the {doc}`instructors`.",
        "",
    ]
    for key, entry in chapters(data).items():
        info = outline(root / f"{key}.ipynb")
        number = numbers.get(key, "")
        exercises = entry.get("exercises") or {}
        total = sum(ex["minutes"] for ex in exercises.values())
        lines += [f"## {number} {info['title']}".replace("  ", " "), "",
                  f"{{doc}}`Open the chapter <../{key}>` · {len(exercises)} exercises, about "
                  f"{total} minutes of student work in all.", "",
                  "| minutes | clock | what to do |", "|---:|---|---|"]
        clock = 0
        for row in entry["session"]:
            start, clock = clock, clock + row["minutes"]
            where = f" (*{_cell(row['section'])}*)" if row.get("section") else ""
            lines.append(f"| {row['minutes']} | {start}–{clock} | {_cell(row['do'])}{where} |")
        lines += ["", "| objective | sections | exercises |", "|---|---|---|"]
        for obj in entry["objectives"]:
            refs = ", ".join(f"{{ref}}`{x}`" for x in obj.get("exercises") or []) or "—"
            lines.append(f"| {_cell(obj['objective'])} | "
                         f"{'; '.join(_cell(s) for s in obj['sections'])} | {refs} |")
        lines += ["", "| exercise | level | minutes |", "|---|---|---:|"]
        for label, ex in exercises.items():
            lines.append(f"| {{ref}}`{label}` | {ex['difficulty']} "
                         f"({LEVELS[ex['difficulty']]}) | {ex['minutes']} |")
        rubrics = [(label, ex["rubric"]) for label, ex in exercises.items() if ex.get("rubric")]
        if rubrics:
            lines += ["", "**Rubrics.**", ""]
            for label, rubric in rubrics:
                lines.append(f"- {{ref}}`{label}`")
                lines += [f"  - {_cell(r)}" for r in rubric]
        lines.append("")
    assignments = data.get("assignments") or []
    if assignments:
        lines += ["## Written assignments", "",
                  "Rubrics for the assignments of the {doc}`instructors` (*Assessment ideas*).", ""]
        for a in assignments:
            lines += [f"**{_cell(a['title'])}**", ""]
            lines += [f"- {_cell(r)}" for r in a["rubric"]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="check the data and that the page is up to date; write nothing")
    args = parser.parse_args(argv)
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        return 1
    page = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python -m booktools.teaching",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
