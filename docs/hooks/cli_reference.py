"""mkdocs hook: the CLI reference page (cli.md) is generated from the Typer app at build
time, so it cannot drift from the program."""

from __future__ import annotations

import html

from mkdocs.structure.files import File, Files


def cli_reference() -> str:
    """Markdown for every `dse` command, from the click command tree behind the app."""
    import typer.main
    from typer.cli import get_docs_for_click

    import dse.cli  # registers the commands

    command = typer.main.get_command(dse.cli.app)
    ctx = command.make_context("dse", [], resilient_parsing=True)
    body = get_docs_for_click(obj=command, ctx=ctx, name="dse")
    lines = []
    for line in body.split("\n")[1:]:  # its own title replaced by the intro
        if line.startswith("* `") and "`: " in line:  # help text: angle brackets as text
            name, text = line.split("`: ", 1)
            line = f"{name}`: {html.escape(text, quote=False)}"
        lines.append(line)
    intro = ("# CLI reference\n\nGenerated from the program at every docs build; "
             "`dse COMMAND --help` prints the same.\n")
    return intro + "\n".join(lines)


def on_files(files: Files, config) -> Files:
    files.append(File.generated(config, "cli.md", content=cli_reference()))
    return files
