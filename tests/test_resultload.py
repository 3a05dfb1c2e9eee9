"""Reading results back: what gaps, report and review say about a file they cannot read."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp.cli import app
from peelnlp.resultfiles import SEGMENT_COLUMNS, STATUS_COLUMNS

runner = CliRunner()


@pytest.mark.parametrize("columns", [SEGMENT_COLUMNS, STATUS_COLUMNS], ids=["segments", "statuses"])
@pytest.mark.parametrize("command", [["gaps"], ["report"], ["review"], ["review", "--export", "fb.jsonl"]],
                         ids=["gaps", "report", "review", "export"])
def test_a_csv_that_score_wrote_is_named_as_one(tmp_path: Path, columns, command) -> None:
    results = tmp_path / "results.csv"
    results.write_text(",".join(columns) + "\n8929,page.txt,default,PEEL\n", encoding="utf-8")
    args = [command[0], str(results), *[str(tmp_path / a) if a.endswith(".jsonl") else a for a in command[1:]]]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and result.output.startswith(f"error: {results}: a CSV of results, which cannot be read back")
