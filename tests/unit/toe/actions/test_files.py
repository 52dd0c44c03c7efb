"""The file-system modules, each run on the host (tmp_path) and inside an image root through a
confined executor: the same inputs must give the same result in both places."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.toe_support import Context, execute

from imagewright.executors.chroot import ChrootExecutor
from imagewright.executors.host import HostExecutor
from imagewright.mounts import mount, mounts_below
from imagewright.toe.actions import StepFailed
from imagewright.toe.actions._target import umask


@dataclass
class Place:
    """Where a step runs: `step(rel)` is the path a document names, `host(rel)` where it is."""

    ctx: Context
    base: str
    root: Path

    def step(self, relative: str) -> str:
        return f"{self.base}/{relative}"

    def host(self, relative: str) -> Path:
        return self.root / "work" / relative


@pytest.fixture(params=["host", "image"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    (tmp_path / "work").mkdir()
    if request.param == "host":
        return Place(Context(HostExecutor()), str(tmp_path / "work"), tmp_path)
    return Place(Context(ChrootExecutor(tmp_path)), "/work", tmp_path)


def write(place: Place, relative: str, text: str = "x") -> Path:
    path = place.host(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- AppendFile, CreateFile, ReadFile, SetFileEncoding ----------------------------------------


def test_append_file_adds_content_in_its_encoding(place: Place) -> None:
    target = write(place, "a.txt", "one\n")
    execute("AppendFile", place.ctx, [{"path": place.step("a.txt"), "content": "two\n"}])
    execute("AppendFile", place.ctx, [{"path": place.step("a.txt")}])  # empty by default
    assert target.read_text() == "one\ntwo\n"
    execute(
        "AppendFile",
        place.ctx,
        [{"path": place.step("a.txt"), "content": "é", "encoding": "UTF-16"}],
    )
    assert target.read_bytes().endswith("é".encode("utf-16-le"))


def test_append_file_fails_on_missing_file(place: Place) -> None:
    with pytest.raises(StepFailed, match=r"cannot append to .*missing.txt: it is nothing"):
        execute("AppendFile", place.ctx, [{"path": place.step("missing.txt"), "content": "x"}])


def test_create_file_makes_parents_content_and_mode(place: Place) -> None:
    execute(
        "CreateFile",
        place.ctx,
        [
            {"path": place.step("deep/er/a.txt"), "content": "hello", "permissions": "0640"},
            {"path": place.step("b.txt"), "permissions": 600},  # YAML int written unquoted
            {"path": place.step("skip_cleanup_ssh_files")},
        ],
    )
    assert place.host("deep/er/a.txt").read_text() == "hello"
    assert stat.S_IMODE(place.host("deep/er/a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE(place.host("b.txt").stat().st_mode) == 0o600
    assert place.host("skip_cleanup_ssh_files").read_bytes() == b""


def test_create_file_applies_the_umask_to_permissions(place: Place) -> None:
    old = os.umask(0o027)
    try:
        execute("CreateFile", place.ctx, [{"path": place.step("u.txt"), "permissions": "0777"}])
        execute("CreateFile", place.ctx, [{"path": place.step("d.txt")}])
    finally:
        os.umask(old)
    assert stat.S_IMODE(place.host("u.txt").stat().st_mode) == 0o750
    assert stat.S_IMODE(place.host("d.txt").stat().st_mode) == 0o640


def test_create_file_overwrite_rules(place: Place) -> None:
    target = write(place, "a.txt", "old content")
    execute("CreateFile", place.ctx, [{"path": place.step("a.txt"), "content": "new"}])
    assert target.read_text() == "new"
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "CreateFile",
            place.ctx,
            [{"path": place.step("a.txt"), "content": "x", "overwrite": False}],
        )
    assert target.read_text() == "new"
    place.host("folder").mkdir()
    with pytest.raises(StepFailed, match="a folder with that name exists"):
        execute("CreateFile", place.ctx, [{"path": place.step("folder")}])


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("utf16", "utf-16-le"),
        ("utf-16-BE", "utf-16-be"),
        ("utf32", "utf-32-le"),
        ("utf32-BE", "utf-32-be"),
    ],
)
def test_encodings_round_trip(place: Place, encoding: str, codec: str) -> None:
    text = "Grüße ☃\n"
    execute(
        "CreateFile",
        place.ctx,
        [{"path": place.step("e.txt"), "content": text, "encoding": encoding}],
    )
    assert place.host("e.txt").read_bytes() == text.encode(codec)
    out = execute("ReadFile", place.ctx, [{"path": place.step("e.txt"), "encoding": encoding}])
    assert out == {"content": text}


def test_unknown_encoding_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="unknown encoding 'latin1'"):
        execute("ReadFile", Context(), [{"path": "/x", "encoding": "latin1"}])


def test_read_file_keeps_content_exactly_and_prints_only_when_asked(place: Place) -> None:
    write(place, "r.txt", "line 1\nline 2\n")
    write(place, "s.txt", "second")
    out = execute("ReadFile", place.ctx, [{"path": place.step("r.txt")}])
    assert out == {"content": "line 1\nline 2\n"}
    assert place.ctx.lines == []
    out = execute(
        "ReadFile",
        place.ctx,
        [{"path": place.step("r.txt"), "printFileContent": True}, {"path": place.step("s.txt")}],
    )
    assert out == {"content": "line 1\nline 2\n\nsecond"}
    assert place.ctx.lines == ["line 1", "line 2"]


def test_read_file_follows_symlinks_and_fails_on_missing_or_binary(place: Place) -> None:
    write(place, "real.txt", "via link")
    place.host("link.txt").symlink_to("real.txt")
    assert execute("ReadFile", place.ctx, [{"path": place.step("link.txt")}]) == {
        "content": "via link"
    }
    with pytest.raises(StepFailed, match="it is nothing, not a file"):
        execute("ReadFile", place.ctx, [{"path": place.step("missing")}])
    place.host("bin").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(StepFailed, match="is not utf8 text"):
        execute("ReadFile", place.ctx, [{"path": place.step("bin")}])


def test_set_file_encoding_converts_from_utf8(place: Place) -> None:
    target = write(place, "c.txt", "añb")
    execute("SetFileEncoding", place.ctx, [{"path": place.step("c.txt"), "encoding": "utf-16-BE"}])
    assert target.read_bytes() == "añb".encode("utf-16-be")
    with pytest.raises(StepFailed, match="is not utf8 text"):  # no longer UTF-8
        execute("SetFileEncoding", place.ctx, [{"path": place.step("c.txt"), "encoding": "utf32"}])
    with pytest.raises(StepFailed, match="it is nothing"):
        execute("SetFileEncoding", place.ctx, [{"path": place.step("none.txt")}])


# --- CreateFolder, CreateSymlink ----------------------------------------------------------------


def test_create_folder_rules(place: Place) -> None:
    execute(
        "CreateFolder",
        place.ctx,
        [{"path": place.step("a/b/c/"), "permissions": "0700"}, {"path": place.step("plain")}],
    )
    assert stat.S_IMODE(place.host("a/b/c").stat().st_mode) == 0o700
    assert place.host("plain").is_dir()
    write(place, "a/b/c/kept.txt")
    execute("CreateFolder", place.ctx, [{"path": place.step("a/b/c"), "permissions": "755"}])
    assert place.host("a/b/c/kept.txt").exists()  # overwrite keeps the content
    assert stat.S_IMODE(place.host("a/b/c").stat().st_mode) == 0o755 & ~umask()
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute("CreateFolder", place.ctx, [{"path": place.step("plain"), "overwrite": False}])
    write(place, "file")
    with pytest.raises(StepFailed, match=r"cannot create folder .*file: it is a file"):
        execute("CreateFolder", place.ctx, [{"path": place.step("file")}])


def test_create_symlink_rules(place: Place) -> None:
    write(place, "target.txt", "t")
    execute(
        "CreateSymlink",
        place.ctx,
        [
            {"path": place.step("links/abs"), "target": place.step("target.txt")},
            {"path": place.step("rel"), "target": "target.txt"},
        ],
    )
    assert os.readlink(place.host("links/abs")) == place.step("target.txt")
    assert place.host("rel").read_text() == "t"
    with pytest.raises(StepFailed, match="already exists and force is false"):
        execute("CreateSymlink", place.ctx, [{"path": place.step("rel"), "target": "target.txt"}])
    write(place, "other.txt", "o")
    execute(
        "CreateSymlink",
        place.ctx,
        [{"path": place.step("rel"), "target": "other.txt", "force": True}],
    )
    assert place.host("rel").read_text() == "o"
    with pytest.raises(StepFailed, match="the target nowhere does not exist"):
        execute("CreateSymlink", place.ctx, [{"path": place.step("x"), "target": "nowhere"}])
    with pytest.raises(StepFailed, match="it is a file, not a link"):
        execute(
            "CreateSymlink",
            place.ctx,
            [{"path": place.step("other.txt"), "target": "target.txt", "force": True}],
        )


# --- CopyFile, MoveFile, CopyFolder, MoveFolder ------------------------------------------------


def test_copy_file_to_file_folder_and_wildcard(place: Place) -> None:
    source = write(place, "src/Sample.txt", "sample")
    source.chmod(0o751)
    write(place, "src/Sample2.txt", "two")
    write(place, "src/.Sample-hidden", "hidden")
    write(place, "src/other.log", "log")
    (place.host("src/SampleDir")).mkdir()
    execute(
        "CopyFile",
        place.ctx,
        [
            {"source": place.step("src/Sample.txt"), "destination": place.step("d1/renamed.txt")},
            {"source": place.step("src/Sample.txt"), "destination": place.step("d2/")},
            {"source": place.step("src/Sample*"), "destination": place.step("d3/")},
            {"source": place.step("src/*Sample*"), "destination": place.step("d4/")},
        ],
    )
    assert place.host("d1/renamed.txt").read_text() == "sample"
    assert stat.S_IMODE(place.host("d1/renamed.txt").stat().st_mode) == 0o751
    assert place.host("d2/Sample.txt").read_text() == "sample"
    assert sorted(os.listdir(place.host("d3"))) == ["Sample.txt", "Sample2.txt"]
    assert sorted(os.listdir(place.host("d4"))) == [".Sample-hidden", "Sample.txt", "Sample2.txt"]
    assert source.read_text() == "sample"
    # An existing folder as destination receives the file, as with cp.
    execute(
        "CopyFile",
        place.ctx,
        [{"source": place.step("src/other.log"), "destination": place.step("d2")}],
    )
    assert place.host("d2/other.log").read_text() == "log"


def test_copy_file_failure_rules(place: Place) -> None:
    write(place, "a.txt", "new")
    write(place, "b.txt", "old")
    write(place, "c.txt", "c")
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "CopyFile",
            place.ctx,
            [
                {
                    "source": place.step("a.txt"),
                    "destination": place.step("b.txt"),
                    "overwrite": False,
                }
            ],
        )
    assert place.host("b.txt").read_text() == "old"
    with pytest.raises(StepFailed, match="it is the same file"):
        execute(
            "CopyFile",
            place.ctx,
            [{"source": place.step("a.txt"), "destination": place.step("./a.txt")}],
        )
    assert place.host("a.txt").read_text() == "new"
    with pytest.raises(StepFailed, match=r"source .*missing.txt does not exist"):
        execute("CopyFile", place.ctx, [{"source": place.step("missing.txt"), "destination": "/x"}])
    with pytest.raises(StepFailed, match="must end with '/'"):
        execute(
            "CopyFile", place.ctx, [{"source": place.step("*.txt"), "destination": place.step("z")}]
        )
    with pytest.raises(StepFailed, match="no file matches"):
        execute("CopyFile", place.ctx, [{"source": place.step("*.nope"), "destination": "/x/"}])
    with pytest.raises(StepFailed, match="only in the last path segment"):
        execute("CopyFile", place.ctx, [{"source": place.step("*/a.txt"), "destination": "/x/"}])
    place.host("dir").mkdir()
    with pytest.raises(StepFailed, match="is a folder, not a file"):
        execute("CopyFile", place.ctx, [{"source": place.step("dir"), "destination": "/x/"}])


def test_move_file(place: Place) -> None:
    write(place, "m1.txt", "1")
    write(place, "m2.txt", "2")
    write(place, "keep.txt", "keep")
    place.host("link").symlink_to("keep.txt")
    execute(
        "MoveFile",
        place.ctx,
        [
            {"source": place.step("m*.txt"), "destination": place.step("moved/")},
            {"source": place.step("link"), "destination": place.step("moved/link2")},
        ],
    )
    assert not place.host("m1.txt").exists()
    assert place.host("moved/m1.txt").read_text() == "1"
    assert place.host("moved/m2.txt").read_text() == "2"
    assert os.readlink(place.host("moved/link2")) == "keep.txt"  # the link moved, not its target
    assert place.host("keep.txt").read_text() == "keep"
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "MoveFile",
            place.ctx,
            [
                {
                    "source": place.step("keep.txt"),
                    "destination": place.step("moved/m1.txt"),
                    "overwrite": False,
                }
            ],
        )
    execute(
        "MoveFile",
        place.ctx,
        [{"source": place.step("keep.txt"), "destination": place.step("moved/m1.txt")}],
    )
    assert place.host("moved/m1.txt").read_text() == "keep"


def make_tree(place: Place, name: str) -> None:
    write(place, f"{name}/top.txt", "top")
    write(place, f"{name}/sub/inner.txt", "inner")
    place.host(f"{name}/sub/link").symlink_to("/etc/passwd")
    place.host(f"{name}/sub").chmod(0o750)


def test_copy_folder_new_existing_and_wildcard(place: Place) -> None:
    make_tree(place, "SampleA")
    make_tree(place, "SampleB")
    execute(
        "CopyFolder",
        place.ctx,
        [
            {"source": place.step("SampleA"), "destination": place.step("copy")},
            {"source": place.step("SampleA"), "destination": place.step("into/")},
            {"source": place.step("Sample*"), "destination": place.step("all/")},
        ],
    )
    assert place.host("copy/sub/inner.txt").read_text() == "inner"
    assert os.readlink(place.host("copy/sub/link")) == "/etc/passwd"  # re-made, not followed
    assert stat.S_IMODE(place.host("copy/sub").stat().st_mode) == 0o750
    assert place.host("into/SampleA/top.txt").read_text() == "top"
    assert sorted(os.listdir(place.host("all"))) == ["SampleA", "SampleB"]
    # Overwrite merges: same names replaced, other content kept.
    write(place, "copy/extra.txt", "extra")
    write(place, "copy/top.txt", "changed")
    execute(
        "CopyFolder",
        place.ctx,
        [{"source": place.step("SampleA"), "destination": place.step("copy")}],
    )
    assert place.host("copy/top.txt").read_text() == "top"
    assert place.host("copy/extra.txt").read_text() == "extra"
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "CopyFolder",
            place.ctx,
            [
                {
                    "source": place.step("SampleA"),
                    "destination": place.step("copy"),
                    "overwrite": False,
                }
            ],
        )
    with pytest.raises(StepFailed, match="inside itself"):
        execute(
            "CopyFolder",
            place.ctx,
            [{"source": place.step("SampleA"), "destination": place.step("SampleA/sub/again")}],
        )
    with pytest.raises(StepFailed, match="is a file, not a folder"):
        execute(
            "CopyFolder",
            place.ctx,
            [{"source": place.step("SampleA/top.txt"), "destination": place.step("x")}],
        )


def test_move_folder_rename_merge_and_into_itself(place: Place) -> None:
    make_tree(place, "A")
    make_tree(place, "B")
    execute("MoveFolder", place.ctx, [{"source": place.step("A"), "destination": place.step("A2")}])
    assert not place.host("A").exists()
    assert place.host("A2/sub/inner.txt").read_text() == "inner"
    write(place, "B/only-in-b.txt", "b")
    execute("MoveFolder", place.ctx, [{"source": place.step("B"), "destination": place.step("A2")}])
    assert not place.host("B").exists()
    assert place.host("A2/only-in-b.txt").read_text() == "b"
    with pytest.raises(StepFailed, match="inside itself"):
        execute(
            "MoveFolder",
            place.ctx,
            [{"source": place.step("A2"), "destination": place.step("A2/inside")}],
        )
    make_tree(place, "C")
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "MoveFolder",
            place.ctx,
            [{"source": place.step("C"), "destination": place.step("A2"), "overwrite": False}],
        )


# --- DeleteFile, DeleteFolder, ListFiles -------------------------------------------------------


def test_delete_file_single_wildcard_link_and_folder(place: Place) -> None:
    write(place, "d/app.log", "")
    write(place, "d/sys.log", "")
    write(place, "d/keep.txt", "")
    (place.host("d/dir.log")).mkdir()
    target = write(place, "target.txt", "t")
    place.host("d/link").symlink_to(target)
    execute(
        "DeleteFile",
        place.ctx,
        [
            {"path": place.step("d/*log")},
            {"path": place.step("d/link")},
            {"path": place.step("d/never-existed")},
        ],
    )
    assert sorted(os.listdir(place.host("d"))) == ["dir.log", "keep.txt"]
    assert target.exists()
    assert "does not exist; nothing to delete" in place.ctx.lines[-1]
    with pytest.raises(StepFailed, match="it is a folder"):
        execute("DeleteFile", place.ctx, [{"path": place.step("d/dir.log")}])


def test_delete_folder_rules(place: Place) -> None:
    write(place, "full/a.txt")
    place.host("empty").mkdir()
    target = write(place, "outside/kept.txt")
    place.host("full/linked").symlink_to(target.parent)
    execute("DeleteFolder", place.ctx, [{"path": place.step("empty/")}])
    assert not place.host("empty").exists()
    with pytest.raises(StepFailed, match="not empty and force is false"):
        execute("DeleteFolder", place.ctx, [{"path": place.step("full")}])
    execute("DeleteFolder", place.ctx, [{"path": place.step("full"), "force": True}])
    assert not place.host("full").exists()
    assert target.exists()  # a link inside is removed, never followed
    with pytest.raises(StepFailed, match="it is a file"):
        execute("DeleteFolder", place.ctx, [{"path": place.step("outside/kept.txt")}])


def test_delete_folder_refuses_the_root_of_an_image(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    ctx = Context(ChrootExecutor(tmp_path))
    with pytest.raises(StepFailed, match="it is the root of the target"):
        execute("DeleteFolder", ctx, [{"path": "/", "force": True}])
    assert (tmp_path / "etc").is_dir()


def test_list_files(place: Place) -> None:
    for name in ("a.txt", "b.log", "sub/c.txt", "sub/deeper/d.txt", ".hidden.txt"):
        write(place, f"l/{name}")
    place.host("l/link.txt").symlink_to("a.txt")
    out = execute("ListFiles", place.ctx, [{"path": place.step("l")}])
    assert out["files"].split(",") == [
        place.step(f"l/{n}") for n in (".hidden.txt", "a.txt", "b.log", "link.txt")
    ]
    out = execute(
        "ListFiles",
        place.ctx,
        [{"path": place.step("l/"), "fileNamePattern": "*.txt", "recursive": True}],
    )
    assert out["files"].split(",") == [
        place.step(f"l/{n}")
        for n in (".hidden.txt", "a.txt", "link.txt", "sub/c.txt", "sub/deeper/d.txt")
    ]
    with pytest.raises(StepFailed, match=r"cannot list .*nothere: it is nothing, not a folder"):
        execute("ListFiles", place.ctx, [{"path": place.step("nothere")}])


# --- owners and permissions --------------------------------------------------------------------


def test_set_permissions_file_and_folder(place: Place) -> None:
    write(place, "p/f.txt")
    write(place, "p/sub/g.txt")
    outside = write(place, "outside.txt")
    outside.chmod(0o600)
    place.host("p/link").symlink_to(outside)
    execute(
        "SetFilePermissions", place.ctx, [{"path": place.step("p/f.txt"), "permissions": "0604"}]
    )
    assert stat.S_IMODE(place.host("p/f.txt").stat().st_mode) == 0o604
    execute(
        "SetFolderPermissions",
        place.ctx,
        [{"path": place.step("p"), "permissions": "0750", "recursive": False}],
    )
    assert stat.S_IMODE(place.host("p").stat().st_mode) == 0o750
    assert stat.S_IMODE(place.host("p/f.txt").stat().st_mode) == 0o604
    execute("SetFolderPermissions", place.ctx, [{"path": place.step("p"), "permissions": "755"}])
    for relative in ("p", "p/f.txt", "p/sub", "p/sub/g.txt"):
        assert stat.S_IMODE(place.host(relative).stat().st_mode) == 0o755
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600  # links are skipped
    with pytest.raises(StepFailed, match="it does not exist"):
        execute("SetFilePermissions", place.ctx, [{"path": place.step("no"), "permissions": "644"}])
    with pytest.raises(StepFailed, match="it is a file, not a folder"):
        execute(
            "SetFolderPermissions",
            place.ctx,
            [{"path": place.step("p/f.txt"), "permissions": "644"}],
        )


def test_permissions_must_be_octal() -> None:
    with pytest.raises(ValidationError, match="not octal digits"):
        execute("SetFilePermissions", Context(), [{"path": "/x", "permissions": "rwxr-xr-x"}])
    with pytest.raises(ValidationError, match="not octal digits"):
        execute("SetFilePermissions", Context(), [{"path": "/x", "permissions": "0999"}])


def test_unknown_input_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        execute("ListFiles", Context(), [{"path": "/x", "maxDepth": 2}])


ACCOUNTS = (
    "root:x:0:0:root:/root:/bin/bash\nimgonly:x:4242:4343::/nonexistent:/usr/sbin/nologin\n",
    "root:x:0:\nimggroup:x:4343:\nother:x:4444:\n",
)


@pytest.mark.root
def test_owners_come_from_the_targets_account_files(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(ACCOUNTS[0])
    (tmp_path / "etc/group").write_text(ACCOUNTS[1])
    (tmp_path / "data/sub").mkdir(parents=True)
    (tmp_path / "data/sub/f").write_text("f")
    (tmp_path / "file").write_text("x")
    ctx = Context(ChrootExecutor(tmp_path))
    execute("SetFileOwner", ctx, [{"path": "/file", "owner": "imgonly"}])
    assert ((tmp_path / "file").stat().st_uid, (tmp_path / "file").stat().st_gid) == (4242, 4343)
    execute("SetFileOwner", ctx, [{"path": "/file", "owner": "imgonly", "group": "other"}])
    assert (tmp_path / "file").stat().st_gid == 4444
    execute("SetFolderOwner", ctx, [{"path": "/data", "owner": "imgonly", "recursive": False}])
    assert (tmp_path / "data").stat().st_uid == 4242
    assert (tmp_path / "data/sub").stat().st_uid == 0
    execute("SetFolderOwner", ctx, [{"path": "/data", "owner": "4242", "group": "imggroup"}])
    assert (tmp_path / "data/sub/f").stat().st_uid == 4242
    assert (tmp_path / "data/sub/f").stat().st_gid == 4343
    execute(
        "CreateFile", ctx, [{"path": "/new", "owner": "imgonly", "group": 4444, "permissions": 640}]
    )
    assert (tmp_path / "new").stat().st_uid == 4242
    assert (tmp_path / "new").stat().st_gid == 4444
    execute("CreateFolder", ctx, [{"path": "/newdir", "group": "imggroup"}])
    assert (tmp_path / "newdir").stat().st_gid == 4343
    execute("CreateFolder", ctx, [{"path": "/owned", "owner": "imgonly"}])
    assert ((tmp_path / "owned").stat().st_uid, (tmp_path / "owned").stat().st_gid) == (4242, 0)
    with pytest.raises(StepFailed, match="user 'nobody-here' does not exist in the target"):
        execute("SetFileOwner", ctx, [{"path": "/file", "owner": "nobody-here"}])
    with pytest.raises(StepFailed, match="group 'nogroup-here' does not exist in the target"):
        execute("SetFileOwner", ctx, [{"path": "/file", "owner": "root", "group": "nogroup-here"}])
    with pytest.raises(StepFailed, match="it does not exist"):
        execute("SetFileOwner", ctx, [{"path": "/missing", "owner": "root"}])
    with pytest.raises(StepFailed, match="it is a file, not a folder"):
        execute("SetFolderOwner", ctx, [{"path": "/file", "owner": "root"}])


def test_every_module_has_a_one_line_summary() -> None:
    from imagewright.toe.actions import ACTIONS

    for spec in ACTIONS:
        assert spec.summary and spec.summary.endswith("."), spec.name


def test_copy_folder_merges_through_links_inside_the_image_only(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "src/sub").mkdir(parents=True)
    (root / "src/sub/inner.txt").write_text("inner")
    (root / "dest").mkdir()
    elsewhere = tmp_path / "elsewhere"  # as an absolute link target it means root/<this path>
    (root / str(elsewhere).lstrip("/")).mkdir(parents=True)
    (root / "dest/sub").symlink_to(elsewhere)
    execute(
        "CopyFolder", Context(ChrootExecutor(root)), [{"source": "/src", "destination": "/dest"}]
    )
    assert (root / str(elsewhere).lstrip("/") / "inner.txt").read_text() == "inner"
    assert not elsewhere.exists()


@pytest.mark.root
def test_recursive_work_stops_at_other_file_systems(tmp_path: Path) -> None:
    """A file system mounted inside the tree (like /dev or /proc bound into an image) is never
    changed by a recursive module, and a folder with a mount below it is not deleted."""
    (tmp_path / "tree/mounted").mkdir(parents=True)
    (tmp_path / "tree/own.txt").write_text("own")
    ctx = Context(ChrootExecutor(tmp_path))
    with mount("tmpfs", tmp_path / "tree/mounted", fstype="tmpfs", options=["mode=0700"]):
        (tmp_path / "tree/mounted/other.txt").write_text("other fs")
        (tmp_path / "tree/mounted/other.txt").chmod(0o600)
        execute("SetFolderPermissions", ctx, [{"path": "/tree", "permissions": "0755"}])
        execute("SetFolderOwner", ctx, [{"path": "/tree", "owner": "1234"}])
        assert stat.S_IMODE((tmp_path / "tree/own.txt").stat().st_mode) == 0o755
        assert (tmp_path / "tree/own.txt").stat().st_uid == 1234
        assert stat.S_IMODE((tmp_path / "tree/mounted").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "tree/mounted/other.txt").stat().st_mode) == 0o600
        assert (tmp_path / "tree/mounted/other.txt").stat().st_uid == 0
        listed = execute("ListFiles", ctx, [{"path": "/tree", "recursive": True}])["files"]
        assert listed == "/tree/own.txt"
        with pytest.raises(StepFailed, match="file systems are mounted below it"):
            execute("DeleteFolder", ctx, [{"path": "/tree", "force": True}])
        assert (tmp_path / "tree/mounted/other.txt").read_text() == "other fs"
    assert mounts_below(tmp_path) == []
