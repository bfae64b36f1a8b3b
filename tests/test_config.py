"""formats.config: reading merged levels, path resolution, errors, and DVC-identical writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dvcdoit.core.errors import ConfigError
from dvcdoit.formats import _ini
from dvcdoit.formats.config import (
    add_remote,
    load_config,
    modify_remote,
    remove_remote,
    set_default_remote,
)
from tests.conftest import Runner


@pytest.fixture
def dvc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "global"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "system"))
    d = tmp_path / "repo" / ".dvc"
    d.mkdir(parents=True)
    monkeypatch.chdir(d.parent)
    return d


def test_parse_indented_git_style_and_quoted(dvc_dir: Path) -> None:
    (dvc_dir / "config").write_text(
        "# comment\n[Core]\n  Remote = S3R  # trailing\n[cache]\n    type = \"reflink,hardlink\"\n"
        "    dir = ../cache-elsewhere\n[remote \"s3r\"]\n\turl = s3://b/p\n\tjobs = 3\n"
        "['remote \"loc\"']\n    url = ../store\n    verify = True\n")
    conf = load_config(dvc_dir)
    root = dvc_dir.parent
    assert conf.core_remote == "s3r"
    assert conf.cache_type == ("reflink", "hardlink")
    assert conf.cache_dir == str(root / "cache-elsewhere")
    assert conf.remotes["s3r"].url == "s3://b/p"
    assert conf.remotes["s3r"].jobs == 3
    assert conf.remotes["loc"].url == str(root / "store")
    assert conf.remotes["loc"].verify is True
    assert conf.remote().name == "s3r"


def test_levels_merge_per_key_and_paths_resolve_per_file(dvc_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "system").mkdir()
    (tmp_path / "system" / "config").write_text("[core]\n    remote = sys\n['remote \"sys\"']\n    url = rel\n")
    (tmp_path / "global").mkdir()
    (tmp_path / "global" / "config").write_text("[cache]\n    type = copy\n")
    (dvc_dir / "config").write_text("['remote \"s3\"']\n    url = s3://b\n    region = eu-west-1\n")
    (dvc_dir / "config.local").write_text("[core]\n    remote = s3\n['remote \"s3\"']\n"
                                          "    secret_access_key = SECRET\n")
    conf = load_config(dvc_dir)
    assert conf.core_remote == "s3"
    assert conf.cache_type == ("copy",)
    assert conf.remotes["sys"].url == str(tmp_path / "system" / "rel")
    assert dict(conf.remotes["s3"].options) == {"region": "eu-west-1", "secret_access_key": "SECRET"}
    assert "SECRET" not in repr(conf)
    assert load_config(dvc_dir, "repo").core_remote is None


@pytest.mark.parametrize(("text", "message"), [
    ("['remote \"r\"']\n    jobs = 2\n", "{repo}/config: [remote \"r\"] url: missing; every remote needs a url"),
    ("['remote \"r\"']\n    url = /x\n    jobs = many\n",
     "{repo}/config: [remote \"r\"] jobs: expected an integer >= 1, got 'many'"),
    ("['remote \"r\"']\n    url = /x\n    endpointurl = http://h\n",
     ("configuration error - config file error: extra keys not allowed @ data['remote']['r']"
     "['endpointurl'] (in {repo}/config; 'endpointurl' is not an option of a local remote: "
     "remove it or fix its name)")),
    ("['remote \"r\"']\n    url = s3://b\n    use_ssl = maybe\n",
     "{repo}/config: [remote \"r\"] use_ssl: expected true or false, got 'maybe'"),
    ("[cache]\n    type = teleport\n",
     ("configuration error - config file error: Unsupported cache type(s): teleport for dictionary "
     "value @ data['cache']['type'] (in {repo}/config; use reflink, hardlink, symlink, copy)")),
    ("[core]\nremote\n", "{repo}/config:2: expected '[section]' or 'key = value', got 'remote'"),
    ("[core]\n[core]\n", "{repo}/config:2: duplicate section [core]"),
    ("[core\n", "{repo}/config:1: malformed section header '[core'"),
    ("[core]\n  a = 1\n  A = 2\n", "{repo}/config:3: duplicate key 'a' in [core]"),
])
def test_errors_name_file_section_and_key(dvc_dir: Path, text: str, message: str) -> None:
    (dvc_dir / "config").write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(dvc_dir)
    assert str(exc.value) == message.format(repo=dvc_dir)


def test_unknown_remote_and_no_default(dvc_dir: Path) -> None:
    conf = load_config(dvc_dir)
    with pytest.raises(ConfigError, match="no remote specified and no default remote set"):
        conf.remote()
    with pytest.raises(ConfigError, match="remote 'x' doesn't exist; known remotes: none"):
        conf.remote("x")


@pytest.mark.parametrize(("value", "dumped"), [
    ("plain", "plain"), ("a,b", '"a,b"'), ("", '""'), (" lead", '" lead"'),
    ('say "hi"', "'say \"hi\"'"), (("reflink", "copy"), "reflink, copy"), (("one",), "one,"),
])
def test_ini_quoting_round_trips(value: _ini.Value, dumped: str) -> None:
    data = _ini.dump({"": {}, "s": {"k": value}})
    assert data == f"[s]\n    k = {dumped}\n".encode()
    assert _ini.parse(data.decode(), "x")["s"]["k"] == value


def _edit_script(ours: bool, runner: Runner | None, dvc_dir: Path) -> None:
    steps: list[list[str]] = [
        ["add", "-d", "myremote", "/tmp/x"],
        ["add", "r2", "../rem"],
        ["add", "s3r", "s3://bkt/p"],
        ["modify", "s3r", "endpointurl", "http://127.0.0.1:5000"],
        ["modify", "r2", "jobs", "8"],
        ["modify", "--local", "s3r", "secret_access_key", "SECRET"],
        ["modify", "s3r", "use_ssl", "false"],
        ["modify", "-u", "r2", "jobs"],
        ["add", "-d", "--local", "loc", "/tmp/l"],
        ["default", "r2"],
        ["remove", "myremote"],
        ["add", "Upper", "rel/dir,with,commas"],
    ]
    for step in steps:
        if not ours:
            assert runner is not None
            runner("remote", *step)
            continue
        local = "--local" in step
        args = [a for a in step if a not in ("--local", "-d", "-u")]
        level = "local" if local else "repo"
        if args[0] == "add":
            add_remote(dvc_dir, args[1], args[2], level=level, default="-d" in step)
        elif args[0] == "modify":
            modify_remote(dvc_dir, args[1], args[2], None if "-u" in step else args[3], level=level)
        elif args[0] == "default":
            set_default_remote(dvc_dir, args[1], level=level)
        else:
            remove_remote(dvc_dir, args[1], level=level)


@pytest.mark.interop
def test_written_bytes_match_real_dvc(dvc: Runner, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "global"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "system"))
    trees = {}
    for who in ("dvc", "ours"):
        root = tmp_path / who / "sub"
        root.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        monkeypatch.chdir(root)
        dvc("init", "-q")
        _edit_script(who == "ours", dvc, root / ".dvc")
        trees[who] = {n: (root / ".dvc" / n).read_bytes() for n in ("config", "config.local")}
    assert trees["ours"] == trees["dvc"]
    assert trees["ours"]["config"] == (
        b"[core]\n    remote = r2\n['remote \"r2\"']\n    url = ../../rem\n"
        b"['remote \"s3r\"']\n    url = s3://bkt/p\n    endpointurl = http://127.0.0.1:5000\n"
        b"    use_ssl = false\n['remote \"upper\"']\n    url = \"../rel/dir,with,commas\"\n")
    # and real DVC reads what we wrote
    listed = dvc("remote", "list", cwd=tmp_path / "ours" / "sub").stdout
    assert "loc     /tmp/l  (default)" in listed


@pytest.mark.interop
def test_cli_output_matches_dvc(dvc: Runner, dvcdoit: Runner, git_repo: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # NOTE: no wrapping of a long tmp path (test_richwrap)
    dvc("init", "-q")
    (git_repo / "sub").mkdir()
    for tool in (dvc, dvcdoit):
        tool("remote", "add", "-f", "-d", "myremote", "/tmp/x")
        tool("remote", "add", "-f", "r3", "../rel", cwd=git_repo / "sub")
    outs = {}
    for label, tool in (("dvc", dvc), ("ours", dvcdoit)):
        outs[label] = [tool("remote", "list").stdout, tool("remote", "default").stdout,
                       tool("remote", "add", "-f", "-d", "myremote", "/tmp/x").stdout]
        tool("remote", "default", "--unset")
        none = tool("remote", "default", check=False)
        outs[label].append((none.returncode, none.stdout))
        tool("remote", "default", "myremote")
    assert outs["ours"] == outs["dvc"]
    assert outs["ours"][0] == f"myremote        /tmp/x  (default)\nr3      {git_repo}/rel\n"
