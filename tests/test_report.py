"""The HTML report: structure, escaping, atomic writing, and a real headless-browser check."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp.cli import app
from peelnlp.errors import ResultsError
from peelnlp.gapquery import load_pages
from peelnlp.gaps import page_status
from peelnlp.records import Entry, Page, Segment
from peelnlp.report import render_report, write_report
from peelnlp.reviewstore import write_atomic

DATA = Path(__file__).parent / "data"
TAGGED = DATA / "tagged_pages.jsonl"
ARTIFACTS = Path(__file__).parent / "artifacts"
HOSTILE = 'Chased again. <script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2"> & done'
runner = CliRunner()


def hostile_page() -> Page:
    """A fixture page whose title and last comment carry markup that must show as text."""
    page = next(p for p in load_pages(TAGGED) if p.id == "200104")
    entry = len(page.timeline)
    seg = Segment(entry, 0, len(HOSTILE), HOSTILE, kind="concern", recs=(2,), strands=("pursue",),
                  scores={"kind": {"concern": 0.7}}, needs_review=True)
    page = dataclasses.replace(
        page, title='Cumbria <b onmouseover="window.pwned=3">"bold"</b> (200104)',
        timeline=(*page.timeline, Entry("2018-06-30", comment=HOSTILE)), segments=(*page.segments, seg))
    return dataclasses.replace(page, status=page_status(page))


def report_pages() -> list[Page]:
    return [p for p in load_pages(TAGGED) if p.id != "200104"] + [hostile_page()]


@pytest.fixture(scope="module")
def page_html() -> str:
    return render_report(report_pages(), source="results.sqlite", generated="2026-01-01 00:00 UTC")


def test_sections_and_headline_counts(page_html: str) -> None:
    for anchor in ("summary", "coverage", "gaps", "pages"):
        assert f'<section id="{anchor}"' in page_html
    assert "<dt>Flagged gaps</dt><dd>6 <small>75% of recommendations</small></dd>" in page_html
    assert "<dt>Concern</dt><dd>4</dd>" in page_html  # the hostile concern turns Cumbria rec 2 into a concern


def test_accessible_tables_and_inputs(page_html: str) -> None:
    assert page_html.count("<caption>") == 2
    assert '<th scope="col" data-key="confidence" data-type="num" aria-sort="none">' in page_html
    assert '<th scope="row">Kent Police</th>' in page_html
    for control in ("f-text", "f-status", "f-force", "f-strand"):
        assert f'<label for="{control}">' in page_html and f'id="{control}"' in page_html
    assert '<html lang="en">' in page_html


def test_heat_map_prints_numbers_beside_colour(page_html: str) -> None:
    kent = re.search(r'<th scope="row">Kent Police</th>(.*?)</tr>', page_html).group(1)
    cells = re.findall(r">(\d+ of \d+)<span>(\d+%)</span>", kent)
    assert cells == [("2 of 3", "67%"), ("0 of 3", "0%"), ("0 of 3", "0%"), ("1 of 3", "33%")]


def test_every_highlight_has_a_text_label(page_html: str) -> None:
    marks = re.findall(r'<mark class="seg k-(\w+)[^"]*"[^>]*><span class="tag">([^<]*)</span>', page_html)
    assert len(marks) == 25
    assert all(tag.startswith(kind) for kind, tag in marks)
    assert ("concern", "concern · rec 2 · prevent, prepare · check") in marks


def test_page_text_is_escaped(page_html: str) -> None:
    assert "<script>window.pwned" not in page_html and "<img src=x" not in page_html and "<b onmouseover" not in page_html
    assert html.escape(HOSTILE) in page_html
    assert "Cumbria &lt;b onmouseover=&quot;window.pwned=3&quot;&gt;&quot;bold&quot;&lt;/b&gt; (200104)" in page_html
    assert page_html.count("<script") == 1  # the report's own script, nothing else


def test_only_the_reports_own_script_may_run(page_html: str) -> None:
    script = re.search(r"<script>(.*)</script>", page_html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page_html and "default-src 'none'" in page_html
    assert not re.search(r"""(src|href)=["']?https?:""", page_html)


def test_write_is_atomic_and_cli_reports(tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    result = runner.invoke(app, ["report", str(TAGGED), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert re.match(r"wrote .*report\.html: 4 pages, 6 flagged gaps, \d+ KiB", result.output)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(out.parent.glob("*.part"))


def test_written_report_streams_the_same_document(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = write_report(TAGGED, out)
    written = out.read_text(encoding="utf-8")
    stamp = re.search(r"generated (\d{4}-\d\d-\d\d \d\d:\d\d UTC)", written).group(1)
    assert written == render_report(list(load_pages(TAGGED)), source=TAGGED.name, generated=stamp)
    assert result.size == out.stat().st_size and (result.pages, result.gaps) == (4, 6)


def test_a_failure_while_streaming_leaves_no_file(tmp_path: Path) -> None:
    def pieces():
        yield "<!DOCTYPE html>"
        raise ResultsError("results.sqlite: not a readable peelnlp results database")

    with pytest.raises(ResultsError, match="not a readable"):
        write_atomic(tmp_path / "report.html", pieces())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--out", "-o"])
def test_out_names_the_report_file_as_in_score(tmp_path: Path, option: str) -> None:
    result = runner.invoke(app, ["report", str(TAGGED), option, str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_help_names_the_default_report_file() -> None:
    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "report.html when neither --html nor --out is given" in result.output


def test_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(ResultsError, match="cannot write"):
        write_report(TAGGED, target)
    assert not list(tmp_path.glob("*.part"))
    result = runner.invoke(app, ["report", str(tmp_path / "missing.sqlite"), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "no such results file" in result.output


def test_a_file_where_the_folder_should_be_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ResultsError, match=f"cannot write \\(File exists: {blocker}\\)"):
        write_report(TAGGED, blocker / "r.html")


# --- in a real browser ----------------------------------------------------------------------

CATCH = ("window.__errors = [];"
         "window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });"
         "document.addEventListener('securitypolicyviolation', function (e) {"
         " window.__errors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI); });")
CHECKS = """
window.addEventListener('load', function () {
  function visible() { return Array.prototype.filter.call(
    document.querySelectorAll('#gap-table tbody tr'), function (r) { return !r.hidden; }); }
  var out = {rows: document.querySelectorAll('#gap-table tbody tr').length, shown: visible().length};
  var status = document.getElementById('f-status');
  status.value = 'concern'; status.dispatchEvent(new Event('change'));
  out.concern = visible().map(function (r) { return r.dataset.page + '/' + r.dataset.n; });
  out.count = document.getElementById('f-count').textContent;
  status.value = ''; status.dispatchEvent(new Event('change'));
  var text = document.getElementById('f-text');
  text.value = 'asset recovery'; text.dispatchEvent(new Event('input'));
  out.search = visible().map(function (r) { return r.dataset.page + '/' + r.dataset.n; });
  text.value = 'no such words'; text.dispatchEvent(new Event('input'));
  out.none = visible().length; out.noRowsShown = !document.getElementById('no-rows').hidden;
  text.value = ''; text.dispatchEvent(new Event('input'));
  document.querySelector('th[data-key=confidence] button').click();
  out.sorted = visible().map(function (r) { return r.dataset.confidence; });
  out.ariaSort = document.querySelector('th[data-key=confidence]').getAttribute('aria-sort');
  out.pwned = window.pwned || 0; out.images = document.images.length;
  out.hostileText = document.querySelector('#page-200104 .k-concern.review').textContent;
  out.errors = window.__errors;
  document.getElementById('checks').textContent = JSON.stringify(out);
});
"""


def _sha(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def with_checks(page_html: str) -> str:
    """The report plus an error catcher first and a check script last, both allowed by the policy."""
    page_html = page_html.replace("script-src ", f"script-src {_sha(CATCH)} {_sha(CHECKS)} ", 1)
    page_html = page_html.replace("<head>\n", f"<head>\n<script>{CATCH}</script>\n", 1)
    return page_html.replace("</body>", f'<pre id="checks"></pre><script>{CHECKS}</script></body>', 1)


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def run_chromium(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=90)


@pytest.mark.browser
def test_report_in_headless_chromium(page_html: str, tmp_path: Path) -> None:
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary found (apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text(with_checks(page_html), encoding="utf-8")
    dom = run_chromium(binary, tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout
    found = re.search(r'<pre id="checks">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), f"the check script did not run; chromium printed: {dom[:500]}"
    checks = json.loads(html.unescape(found.group(1)))
    assert checks["errors"] == []
    assert (checks["rows"], checks["shown"]) == (6, 6)
    assert checks["concern"] == ["200101/2", "200101/3", "200103/1", "200104/2"]
    assert checks["count"] == "4 of 6 gaps shown"
    assert checks["search"] == ["200104/2"]
    assert (checks["none"], checks["noRowsShown"]) == (0, True)
    assert checks["sorted"] == sorted(checks["sorted"], key=float) and checks["ariaSort"] == "ascending"
    assert (checks["pwned"], checks["images"]) == (0, 0)
    assert "<script>window.pwned = 1</script>" in checks["hostileText"]


@pytest.mark.browser
def test_report_screenshot(tmp_path: Path) -> None:
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary found (apt-get install chromium)")
    page = tmp_path / "report.html"
    write_report(TAGGED, page)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    run_chromium(binary, tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_records_left_out_are_warned_of_and_a_file_of_none_is_an_error(tmp_path: Path) -> None:
    mixed, bad = tmp_path / "mixed.jsonl", tmp_path / "bad.jsonl"
    mixed.write_text(TAGGED.read_text(encoding="utf-8") + "null\n", encoding="utf-8")
    bad.write_text('[1,2]\nnull\n{"id":"x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["report", str(mixed), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert f"warning: {mixed}:5: expected a page record" in result.output and "4 pages, 6 flagged gaps" in result.output
    result = runner.invoke(app, ["report", str(bad), "--html", str(tmp_path / "b.html")])
    assert result.exit_code == 1 and "no page record in the file" in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "b.html").exists()


def test_a_database_in_a_read_only_folder_is_reported(tagged_db: Path, read_only_folder, tmp_path: Path) -> None:
    db = read_only_folder(tagged_db) / tagged_db.name
    result = runner.invoke(app, ["report", str(db), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "4 pages, 6 flagged gaps" in result.output


def test_cli_report_on_a_directory_says_it_is_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (f"error: {tmp_path}: is a directory, not a results file; expected the SQLite database "
                             "or JSON Lines file `peelnlp score --out FILE` wrote: give that file's path\n")


def test_cli_report_refuses_to_overwrite_the_results(tagged_db: Path, tmp_path: Path) -> None:
    before = tagged_db.read_bytes()
    hard_link = tmp_path / "report.html"
    hard_link.hardlink_to(tagged_db)
    for out in (tagged_db, hard_link):
        result = runner.invoke(app, ["report", str(tagged_db), "--html", str(out)])
        assert result.exit_code == 1
        assert result.stderr == (f"error: --html {out} is the same file as the results file {tagged_db}, which "
                                 "writing it would replace; choose another --html path\n")
    assert tagged_db.read_bytes() == before


def test_cli_report_refuses_html_and_out_naming_two_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    result = runner.invoke(app, ["report", str(TAGGED), "--html", str(a), "--out", str(b)])
    output = " ".join(result.output.replace("│", " ").split())  # as rich wraps it in a box
    assert result.exit_code == 2 and "name two files; give one of them" in output
    assert list(tmp_path.iterdir()) == []
    result = runner.invoke(app, ["report", str(TAGGED), "--html", str(a), "--out", str(a)])
    assert result.exit_code == 0 and a.exists()
