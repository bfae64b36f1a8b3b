"""``dvcdoit dag``: each of DVC 3.67.1's flags, compared with real DVC's stdout on one repo.

The ASCII drawing is grandalf's Sugiyama layout on DVC's node and edge order, so each
shape (chain, diamond, two pipelines, a foreach group) is a case of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree


def _stage(name: str, deps: list[str], outs: list[str]) -> str:
    """One dvc.yaml stage in block style."""
    text = f"  {name}:\n    cmd: echo {name}\n"
    text += "    deps:\n" + "".join(f"    - {d}\n" for d in deps) if deps else ""
    return text + "    outs:\n" + "".join(f"    - {o}\n" for o in outs)


CHAIN = "stages:\n" + "".join(
    _stage(n, [f"{p}.txt"] if p else [], [f"{n}.txt"])
    for p, n in [("", "load"), ("load", "clean"), ("clean", "train"), ("train", "evaluate")])
DIAMOND = "stages:\n" + _stage("a", [], ["a.txt"]) + _stage("b", ["a.txt"], ["b.txt"]) \
    + _stage("c", ["a.txt"], ["c.txt"]) + _stage("d", ["b.txt", "c.txt"], ["d.txt"])
TWO = "stages:\n" + _stage("fetch", [], ["raw.csv"]) + _stage("split", ["raw.csv"], ["sets"]) \
    + _stage("lint", [], ["lint.log"]) + _stage("docs", ["lint.log"], ["site"])
TANGLED = "stages:\n" + "".join(_stage(n, d, [o]) for n, d, o in [
    ("s1", ["raw.txt"], "o1"), ("s2", ["raw.txt"], "o2"), ("s3", ["o1", "o2"], "o3"),
    ("s4", ["o1"], "o4"), ("s5", ["o3", "o4", "raw.txt"], "o5"), ("s6", ["o5", "o2"], "o6"),
    ("lone", [], "lone.txt"), ("a_very_long_stage_name", ["o6", "o1"], "o7")])
FOREACH = """stages:
  prep:
    cmd: cp raw.txt prep.txt
    deps: [raw.txt]
    outs: [prep.txt]
  train:
    foreach: [x, y, z]
    do:
      cmd: cp prep.txt m-${item}.txt
      deps: [prep.txt]
      outs: ["m-${item}.txt"]
  report:
    cmd: cat m-x.txt m-y.txt m-z.txt > report.txt
    deps: [m-x.txt, m-y.txt, m-z.txt]
    outs: [report.txt]
"""

DIAMOND_ASCII = """\
     +---+       
     | a |       
     +---+       
     *    *      
    *      *     
   *        *    
+---+     +---+  
| b |     | c |  
+---+     +---+  
     *    *      
      *  *       
       **        
     +---+       
     | d |       
     +---+       
"""


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    """An initialised repo with a data source ``raw.txt.dvc``; each test writes dvc.yaml."""
    dvcdoit("init")
    write_tree(git_repo, {"raw.txt": "x\n"})
    dvcdoit("add", "raw.txt")
    return git_repo


def _same(dvcdoit: Runner, dvc: Runner, *args: str) -> str:
    """``dag ARGS`` of dvcdoit, checked equal to real DVC's stdout; returns it."""
    ours = dvcdoit("dag", *args).stdout
    assert ours == dvc("dag", *args).stdout
    return ours


@pytest.mark.interop
@pytest.mark.parametrize("pipeline", [CHAIN, DIAMOND, TWO, FOREACH, TANGLED],
                         ids=["chain", "diamond", "two-pipelines", "foreach", "tangled"])
@pytest.mark.parametrize("flags", [(), ("--dot",), ("--mermaid",), ("--md",), ("-o",),
                                   ("--collapse-foreach-matrix",)],
                         ids=["ascii", "dot", "mermaid", "md", "outs", "collapse"])
def test_dag_like_dvc(repo: Path, dvcdoit: Runner, dvc: Runner, pipeline: str,
                      flags: tuple[str, ...]) -> None:
    """Every shape, in every format, is DVC's stdout byte for byte."""
    write_tree(repo, {"dvc.yaml": pipeline})
    _same(dvcdoit, dvc, *flags)


def test_dag_diamond_drawing(repo: Path, dvcdoit: Runner) -> None:
    """The default output is the ASCII drawing (boxes, ``*`` edges, trailing blanks kept);
    the data source ``raw.txt.dvc`` is a pipeline of its own, drawn after."""
    write_tree(repo, {"dvc.yaml": DIAMOND})
    assert dvcdoit("dag").stdout == (
        DIAMOND_ASCII + "+-------------+  \n| raw.txt.dvc |  \n+-------------+  \n")


@pytest.mark.interop
@pytest.mark.parametrize("args", [("b",), ("b", "--full"), ("-o", "b"), ("-o", "b", "--full"),
                                  ("--dot", "c"), ("--mermaid", "d"), ("b.txt",), ("a",)])
def test_dag_target_like_dvc(repo: Path, dvcdoit: Runner, dvc: Runner,
                             args: tuple[str, ...]) -> None:
    """A target keeps its pipeline: only its upstream, or all of it with ``--full``."""
    write_tree(repo, {"dvc.yaml": DIAMOND})
    _same(dvcdoit, dvc, *args)


def test_dag_target_upstream_only(repo: Path, dvcdoit: Runner) -> None:
    """``dag b`` draws a over b; ``--full`` draws the whole diamond."""
    write_tree(repo, {"dvc.yaml": DIAMOND})
    assert dvcdoit("dag", "b").stdout == (
        "+---+  \n| a |  \n+---+  \n  *    \n  *    \n  *    \n+---+  \n| b |  \n+---+  \n")
    assert dvcdoit("dag", "b", "--full").stdout == DIAMOND_ASCII


@pytest.mark.interop
@pytest.mark.parametrize("args", [("train",), ("train", "--full"), ("--collapse-foreach-matrix",
                                  "--dot"), ("--collapse-foreach-matrix", "--mermaid"),
                                  ("--collapse-foreach-matrix", "report")])
def test_dag_foreach_like_dvc(repo: Path, dvcdoit: Runner, dvc: Runner,
                              args: tuple[str, ...]) -> None:
    """A foreach group as a target names all its stages; collapsed, it is one node."""
    write_tree(repo, {"dvc.yaml": FOREACH})
    _same(dvcdoit, dvc, *args)


@pytest.mark.interop
@pytest.mark.parametrize("flags", [(), ("--dot",), ("--mermaid",), ("--md",)])
def test_dag_empty_like_dvc(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                            flags: tuple[str, ...]) -> None:
    """No stage at all: an empty line (``strict digraph {``/``}`` for dot)."""
    dvcdoit("init")
    assert _same(dvcdoit, dvc, *flags) in ("\n", "strict digraph {\n}\n\n", "flowchart TD\n",
                                           "```mermaid\nflowchart TD\n```\n")


def test_dag_dot_text(repo: Path, dvcdoit: Runner) -> None:
    """dot: nodes in DVC's order (dvc.yaml's stages, then raw.txt.dvc), edges per upstream."""
    write_tree(repo, {"dvc.yaml": FOREACH})
    out = dvcdoit("dag", "--dot", "--collapse-foreach-matrix").stdout
    assert out == ('strict digraph {\n"prep";\n"report";\n"raw.txt.dvc";\n"train";\n'
                   '"prep" -> "train";\n"raw.txt.dvc" -> "prep";\n"train" -> "report";\n}\n\n')


@pytest.mark.interop
@pytest.mark.parametrize(("args", "message"), [
    (("nope",), ("ERROR: 'nope' does not exist as an output or a stage name in 'dvc.yaml': "
                 "Stage 'nope' not found inside 'dvc.yaml' file\n")),
    (("-o", "--collapse-foreach-matrix"),
     "ERROR: `--outs` and `--collapse-foreach-matrix` are mutually exclusive\n"),
])
def test_dag_errors_like_dvc(repo: Path, dvcdoit: Runner, dvc: Runner,
                             args: tuple[str, ...], message: str) -> None:
    """An unknown target and ``-o`` with ``--collapse-foreach-matrix``: DVC's words."""
    write_tree(repo, {"dvc.yaml": DIAMOND})
    ours = dvcdoit("dag", *args, check=False)
    theirs = dvc("dag", *args, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (3, "", message)
    assert theirs.stderr == message


SUB_PIPELINE = """stages:
  train:
    cmd: echo
    deps: [../prep.txt]
    outs: [model.pkl]
  evaluate:
    foreach: [small, big]
    do:
      cmd: echo ${item}
      deps: [model.pkl]
      outs: ["eval-${item}.json"]
"""


@pytest.mark.interop
@pytest.mark.parametrize("args", [(), ("-o",), ("--mermaid",), ("--dot", "--full", "train"),
                                  ("--collapse-foreach-matrix",), ("../dvc.yaml:prep",)])
def test_dag_from_subdirectory_like_dvc(repo: Path, dvcdoit: Runner, dvc: Runner,
                                        args: tuple[str, ...]) -> None:
    """Run in ``sub/``, nodes are named from there (``../dvc.yaml:prep``, ``train``,
    ``../prep.txt``), and so sort and lay out differently."""
    write_tree(repo, {"dvc.yaml": FOREACH.split("  train:")[0], "sub/dvc.yaml": SUB_PIPELINE})
    ours = dvcdoit("dag", *args, cwd=repo / "sub").stdout
    assert ours == dvc("dag", *args, cwd=repo / "sub").stdout
    assert "../" in ours


def test_dag_without_grandalf(repo: Path) -> None:
    """No grandalf (the ``dag`` extra): a warning naming the extra and a plain list instead of
    the drawing (the README's tutorial runs `dag` without extras); the text formats do not
    need it."""
    write_tree(repo, {"dvc.yaml": DIAMOND})
    block = ("import sys; sys.modules['grandalf'] = None; from dvcdoit.cli import main; "
             "main(sys.argv[1:])")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", block, "dag", *args],
                              capture_output=True, text=True, check=False)

    drawing = run()
    message = ("WARNING: DVC's drawing of 'dag' needs grandalf: pip install 'dvcdoit[dag]'; "
               "here is a plain list\n")
    assert (drawing.returncode, drawing.stderr) == (0, message)
    assert drawing.stdout == "a\nb  <- a\nc  <- a\nd  <- b, c\nraw.txt.dvc\n"
    assert run("--md").stdout.startswith("```mermaid\nflowchart TD\n")
