"""``python -m peelnlp``: the same command as the installed ``peelnlp`` script."""

from .cli import app

app(prog_name="peelnlp")
