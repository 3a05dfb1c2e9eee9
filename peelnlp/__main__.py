"""``python -m peelnlp`` and the installed ``peelnlp`` script."""

from __future__ import annotations

import sys


def run(argv: list[str] | None = None) -> None:
    """Run a command; a mistake in its use is one ``error:`` line (exit status 2), as every other
    error is, rather than the usage block of the command-line parser."""
    from .cli import app

    try:
        code = app(args=argv, prog_name="peelnlp", standalone_mode=False)
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is the parser's own
        code = _parser_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _parser_error(exc: Exception) -> int:
    """Print a parser exception as the command line would and return its exit status. Known by
    its class names: recent typer releases carry their own copy of click's exceptions."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    ctx = getattr(exc, "ctx", None)
    if "NoArgsIsHelpError" in kinds:  # "peelnlp", "peelnlp corpus": the parser has shown the help
        return 2
    if "UsageError" in kinds:
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        message = " ".join(exc.format_message().split()).removeprefix("Invalid value: ")  # type: ignore[attr-defined]
        print(f"error: {message}{hint}", file=sys.stderr)
        return int(exc.exit_code)  # type: ignore[attr-defined]
    if "ClickException" in kinds:
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    if "Abort" in kinds:
        print("error: interrupted", file=sys.stderr)
        return 130
    raise exc


if __name__ == "__main__":
    run()
