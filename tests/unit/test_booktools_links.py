"""Citation and reference links: what JupyterLab shows, and the roles the site gets back."""

from __future__ import annotations

import json

import pytest

from booktools import cite, crossref


def test_a_citation_link_reads_like_the_site_and_turns_back_into_its_role():
    text = "As {cite:t}`han2015learning` showed {cite:p}`han2015learning,frankle2019lottery`."
    linked = cite.to_links(text)
    assert "{cite" not in linked
    assert linked.startswith('As [Han et al. (2015)](https://')
    assert "[(Han et al., 2015; Frankle and Carbin, 2019)](" in linked
    assert cite.to_roles(linked) == text
    assert [c[2:] for c in cite.citations(linked)] == [
        ("t", ["han2015learning"]), ("p", ["han2015learning", "frankle2019lottery"])]


def test_a_citation_of_an_unknown_key_is_refused():
    with pytest.raises(KeyError, match="nokey2099"):
        cite.to_links("{cite:t}`nokey2099`")
    with pytest.raises(ValueError, match="kind"):
        cite.link("x", ["han2015learning"])


def _notebook(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        {"cell_type": "markdown", "metadata": {},
         "source": "{numref}`fig-a` shows it; see\n{numref}`fig-a` and {ref}`ex-b`."},
        {"cell_type": "code", "metadata": {"mystnb": {"figure": {"name": "fig-a"}}},
         "outputs": [], "source": ""},
        {"cell_type": "markdown", "metadata": {}, "source": "```{exercise}\n:label: ex-b\n```"},
        {"cell_type": "markdown", "metadata": {}, "source": "As {numref}`fig-a` showed."},
    ]}
    path = tmp_path / "ch.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_a_reference_says_where_its_target_is_and_turns_back_into_its_role(tmp_path):
    path = _notebook(tmp_path)
    index = {label: (path, i) for label, i in crossref.targets(path).items()}
    cells = json.loads(path.read_text())["cells"]
    first = crossref.to_links(cells[1]["source"], path, 1, index)
    assert first == ('[The figure below](#fig-a "numref") shows it; see\n'
                     '[the figure below](#fig-a "numref") and [the exercise below](#ex-b "ref").')
    assert crossref.to_links(cells[4]["source"], path, 4, index) == (
        'As [the figure above](#fig-a "numref") showed.')
    assert crossref.to_roles(first) == cells[1]["source"]
    with pytest.raises(KeyError, match="fig-missing"):
        crossref.to_links("{numref}`fig-missing`", path, 1, index)
    other = tmp_path / "other.ipynb"
    other.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": "# Elsewhere"}]}))
    assert crossref.words("numref", "fig-a", other, 0, index) == "the figure in “Title”"
