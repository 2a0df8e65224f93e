"""Issue 6: the formats of one report written by forked processes (``taxmargin.fanout``).

The split must not change a byte of any file, must return the files in format order, and
must turn a child's failure into the same kind of error a serial run raises."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from forms_factory import make_forms

from taxmargin import api, fanout
from taxmargin.errors import InputError


@pytest.mark.parametrize(
    ("formats", "workers", "groups"),
    [
        # costs (COST_PER_ROW) json 4, csv 5, pdf 8, txf 12, xlsx 30: longest first, each
        # to the lightest group -> xlsx alone (30) against txf+pdf+csv+json (29)
        (("json", "csv", "pdf", "xlsx", "txf"), 2, [("xlsx",), ("json", "csv", "pdf", "txf")]),
        # three workers: xlsx 30 | txf 12, then json 4 (16) | pdf 8, then csv 5 (13)
        (("json", "csv", "pdf", "xlsx", "txf"), 3, [("xlsx",), ("json", "txf"), ("csv", "pdf")]),
        (("json", "csv"), 1, [("json", "csv")]),  # one core: one group, order kept
        (("pdf",), 2, [("pdf",)]),  # one format: nothing to split
        (("json", "pdf"), 8, [("pdf",), ("json",)]),  # never more groups than formats
        ((), 2, []),
    ],
)
def test_plan_groups(formats: tuple[str, ...], workers: int, groups: list[tuple[str, ...]]) -> None:
    assert fanout.plan_groups(formats, workers) == groups


def _writer(tmp_path: Path, fail: dict[str, BaseException] | None = None) -> fanout.Renderer:
    """A renderer that writes FORMAT.out holding the writing process id."""

    def render(formats: Sequence[str]) -> list[Path]:
        out = []
        for name in formats:
            if fail and name in fail:
                raise fail[name]
            path = tmp_path / f"{name}.out"
            path.write_text(str(os.getpid()))
            out.append(path)
        return out

    return render


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "workers_available", lambda: 2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
def test_child_renders_a_group_and_files_come_back_in_format_order(tmp_path: Path, two_cores: None) -> None:
    seen: list[int] = []
    paths = fanout.render_parallel(_writer(tmp_path), ("json", "xlsx", "csv"), fanout.MIN_ROWS, seen.append)
    assert [p.name for p in paths] == ["json.out", "xlsx.out", "csv.out"]
    writers = {p.name: int(p.read_text()) for p in paths}
    assert writers["xlsx.out"] == os.getpid()  # the heaviest group stays in the parent
    assert writers["json.out"] == writers["csv.out"] != os.getpid()  # one child wrote both
    assert seen == [1, 3]  # progress: the parent's format, then the child's two


def test_small_years_and_single_cores_stay_serial(tmp_path: Path, two_cores: None) -> None:
    paths = fanout.render_parallel(_writer(tmp_path), ("json", "xlsx"), fanout.MIN_ROWS - 1)
    assert {int(p.read_text()) for p in paths} == {os.getpid()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
@pytest.mark.parametrize(
    ("error", "raised", "text"),
    [
        (InputError("out/forms.json: disk full"), InputError, "out/forms.json: disk full"),
        (ValueError("a bug"), RuntimeError, "ValueError: a bug"),
    ],
)
def test_a_child_failure_is_raised_in_the_parent(
    tmp_path: Path, two_cores: None, error: BaseException, raised: type[BaseException], text: str
) -> None:
    render = _writer(tmp_path, {"json": error})
    with pytest.raises(raised, match=text):
        fanout.render_parallel(render, ("json", "xlsx"), fanout.MIN_ROWS)
    assert (tmp_path / "xlsx.out").exists()  # the parent's own format was still written


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
def test_a_parent_failure_waits_for_the_children(tmp_path: Path, two_cores: None) -> None:
    render = _writer(tmp_path, {"xlsx": InputError("taxmargin-2025.xlsx: read-only folder")})
    with pytest.raises(InputError, match="read-only folder"):
        fanout.render_parallel(render, ("json", "xlsx"), fanout.MIN_ROWS)
    assert (tmp_path / "json.out").exists()  # the child finished before the error surfaced


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
def test_real_renderers_write_the_same_bytes_in_parallel(
    tmp_path: Path, two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = make_forms()
    formats = ("json", "csv", "txf")
    serial = api.write_reports(forms, tmp_path / "serial", formats)
    monkeypatch.setattr(fanout, "MIN_ROWS", 0)
    parallel = api.write_reports(forms, tmp_path / "parallel", formats)
    assert [p.name for p in parallel] == [p.name for p in serial]
    for one, two in zip(serial, parallel, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def _numbers(items: Sequence[int], offset: int) -> Iterator[str]:
    """A slice renderer: one item per line, a separator before a slice not at 0, and a
    non-ASCII character so that the child's UTF-8 spool is decoded across block edges."""
    for index, item in enumerate(items):
        yield ("" if offset + index == 0 else ",\n") + f"é{item}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 1001])
def test_split_text_joins_the_halves_into_the_whole(size: int, two_cores: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    items = list(range(size))
    whole = "".join(_numbers(items, 0))
    monkeypatch.setattr(fanout, "MIN_SPLIT_ITEMS", 2)
    assert "".join(fanout.split_text(_numbers, items)) == whole


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
def test_split_text_renders_the_second_half_itself_when_the_child_fails(
    two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def fragile(items: Sequence[int], offset: int) -> Iterator[str]:
        if os.getpid() != parent:
            raise OSError("disk full")
        return _numbers(items, offset)

    monkeypatch.setattr(fanout, "MIN_SPLIT_ITEMS", 2)
    assert "".join(fanout.split_text(fragile, list(range(9)))) == "".join(_numbers(list(range(9)), 0))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only on POSIX")
def test_forms_json_is_the_same_when_its_rows_are_split(
    tmp_path: Path, two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = make_forms(inject=True)
    monkeypatch.setattr(fanout, "MIN_SPLIT_ITEMS", 10**9)
    whole = api.write_reports(forms, tmp_path / "whole", ("json",))[0].read_bytes()
    monkeypatch.setattr(fanout, "MIN_SPLIT_ITEMS", 2)
    calls: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: calls.append(1) or real_fork())
    split = api.write_reports(forms, tmp_path / "split", ("json",))[0].read_bytes()
    assert calls, "the rows were not split"
    assert split == whole
