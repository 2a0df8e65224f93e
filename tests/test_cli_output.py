"""What ``taxmargin`` prints when its output is a file or a pipe (issue 6: the direct
write path for plain lines must print exactly what rich prints)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from taxmargin import cli_output


@pytest.mark.parametrize(
    "text",
    [
        "events.csv:12: warning: [missing-price] no USD price for SOL at 2025-01-02 03:04:05+00:00",
        "x.csv:3: column 'asset': '[bold]' is not an asset",  # brackets are not markup
        "2.csv:9: column 'note': 'bell\x07 and \rreturn'",  # control codes: rich strips them
        "tab\tseparated",  # tabs: rich expands them
        "ünïcode ✓ 日本",
    ],
)
def test_say_prints_what_rich_prints(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = io.StringIO()
    Console(file=expected, highlight=False, soft_wrap=True).print(text, style="yellow", markup=False)
    cli_output.say(text, style="yellow")
    assert capsys.readouterr().out == expected.getvalue()


@pytest.mark.parametrize("line", ["1234", "100"])  # rich emoji names :1234: and :100:
def test_file_line_numbers_never_become_emoji(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = f"events.csv:{line}: warning: [negative-balance] BTC below zero"
    cli_output.fail(text)  # always through rich (standard error)
    cli_output.console.print(text, markup=False)  # the terminal path of say()
    cli_output.say(text)
    captured = capsys.readouterr()
    assert captured.err == f"error: {text}\n"
    assert captured.out == f"{text}\n{text}\n"
