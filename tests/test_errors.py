"""The one problem collector: Problem values, Problems, and FormatError's message."""

from __future__ import annotations

import pickle

import pytest

from dvcdoit.core.errors import DvcDoitError, FormatError, Problem, Problems


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("dvc.yaml", "stages.a.cmd", "required"), "dvc.yaml:stages.a.cmd: required"),
        (Problem("x.dvc", "outs[0].md5", "bad", sep=": "), "x.dvc: outs[0].md5: bad"),
        (Problem("dvc.lock", "", "not a lock", fix="delete it"), "dvc.lock: not a lock; delete it"),
        (Problem("x.dvc", "outs[0].plot", "no", fix="use dvc.yaml", sep=": "),
         "x.dvc: outs[0].plot: no; use dvc.yaml"),
        (Problem("params.yaml", "3", "invalid YAML: x"), "params.yaml:3: invalid YAML: x"),
    ],
)
def test_a_problem_renders_file_field_message_and_fix(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_problems_collects_then_raises_once_with_every_problem() -> None:
    problems = Problems("dvc.yaml")
    assert not problems
    problems.raise_if_any()  # nothing recorded: no error
    problems.add("stages.a.cmd", "required")
    problems.add("stages.b", "extra keys not allowed", fix="remove it")
    assert len(problems) == 2
    with pytest.raises(FormatError) as exc:
        problems.raise_if_any()
    assert str(exc.value) == ("dvc.yaml:stages.a.cmd: required; "
                              "dvc.yaml:stages.b: extra keys not allowed; remove it")
    assert exc.value.file == "dvc.yaml"
    assert exc.value.problems == (Problem("dvc.yaml", "stages.a.cmd", "required"),
                                  Problem("dvc.yaml", "stages.b", "extra keys not allowed",
                                          "remove it"))
    assert isinstance(exc.value, DvcDoitError)


def test_a_format_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one Problem"):
        FormatError([])


def test_a_format_error_survives_pickling() -> None:
    err = FormatError([Problem("x.dvc", "md5", "bad", sep=": ")])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is FormatError
    assert back.problems == err.problems
    assert str(back) == "x.dvc: md5: bad"
