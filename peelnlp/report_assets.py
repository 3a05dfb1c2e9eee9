"""The stylesheet and script inlined into the HTML report (no network, so nothing is linked)."""

CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#d9dee5; --bg:#f5f7fa; --card:#fff; --accent:#1f4e79;
  --concern:#b3261e; --planned:#8a5a00; --none:#5b6775; --ok:#1e6b3a; }
* { box-sizing:border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--ink); background:var(--bg); }
a { color:var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline:3px solid #f2a900; outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:4px 8px; z-index:9; }
header.top { background:var(--accent); color:#fff; padding:20px 32px 16px; }
header.top h1 { margin:0 0 4px; font-size:24px; font-weight:650; letter-spacing:.2px; }
header.top p { margin:0; color:#dce7f2; font-size:13px; }
nav.toc { background:#163b5c; padding:6px 32px; font-size:13px; }
nav.toc a { color:#fff; margin-right:18px; text-decoration:none; } nav.toc a:hover { text-decoration:underline; }
main { max-width:1240px; margin:0 auto; padding:20px 32px 48px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:18px 22px; margin:0 0 20px; }
h2 { font-size:18px; margin:0 0 12px; } h3 { font-size:16px; margin:0; display:inline; }
h4 { font-size:13px; text-transform:uppercase; letter-spacing:.5px; color:var(--muted); margin:14px 0 6px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(140px,1fr)); gap:12px; margin:0; }
.cards div { border:1px solid var(--line); border-left:5px solid var(--accent); border-radius:6px; padding:10px 14px; }
.cards dt { font-size:12px; text-transform:uppercase; letter-spacing:.5px; color:var(--muted); }
.cards dd { margin:2px 0 0; font-size:26px; font-weight:650; }
.cards .c-concern { border-left-color:var(--concern); } .cards .c-planned-only { border-left-color:var(--planned); }
.cards .c-no-activity { border-left-color:var(--none); } .cards .c-evidenced { border-left-color:var(--ok); }
.cards dd small { display:block; font-size:12px; font-weight:400; color:var(--muted); }
.statusbar { margin:14px 0 0; } .statusbar svg { width:100%; height:22px; display:block; }
table { border-collapse:collapse; width:100%; font-size:14px; }
caption { text-align:left; color:var(--muted); font-size:13px; padding:0 0 8px; caption-side:top; }
th, td { border-bottom:1px solid var(--line); padding:7px 8px; text-align:left; vertical-align:top; }
thead th { background:#eef2f6; font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
table.heat .num { text-align:center; }
table.heat td { text-align:center; font-variant-numeric:tabular-nums; min-width:92px; }
table.heat td span { display:block; font-size:12px; }
table.heat tfoot th, table.heat tfoot td { font-weight:650; border-top:2px solid var(--ink); }
.legend { display:flex; align-items:center; gap:8px; font-size:12px; color:var(--muted); margin-top:10px; flex-wrap:wrap; }
.legend i { display:inline-block; width:26px; height:14px; border:1px solid var(--line); }
.filters { display:flex; flex-wrap:wrap; gap:10px 18px; align-items:end; margin:0 0 12px; }
.filters label { display:flex; flex-direction:column; font-size:12px; font-weight:600; color:var(--muted); gap:3px; }
.filters input, .filters select { font:inherit; font-size:14px; padding:5px 8px; border:1px solid #aab4c0;
  border-radius:5px; min-width:170px; }
.filters output { font-size:13px; color:var(--muted); padding-bottom:6px; }
th button { all:unset; cursor:pointer; } th button::after { content:" ↕"; color:#8a96a3; font-size:11px; }
th[aria-sort=ascending] button::after { content:" ▲"; color:var(--ink); }
th[aria-sort=descending] button::after { content:" ▼"; color:var(--ink); }
#gap-table td.rec { max-width:360px; } #gap-table td.why { max-width:300px; color:#38434f; font-size:13px; }
#gap-table tbody tr:hover { background:#f7f9fc; }
.badge { display:inline-block; font-size:11px; font-weight:700; letter-spacing:.4px; text-transform:uppercase;
  padding:1px 7px; border-radius:10px; border:1px solid; white-space:nowrap; }
.s-concern { color:var(--concern); background:#fdecea; } .s-planned-only { color:var(--planned); background:#fff4dc; }
.s-no-activity { color:var(--none); background:#eef0f2; } .s-evidenced { color:var(--ok); background:#e6f4ea; }
.empty { color:var(--muted); font-style:italic; }
details.page { border:1px solid var(--line); border-radius:6px; margin:0 0 10px; background:#fff; }
details.page > summary { cursor:pointer; padding:10px 14px; list-style-position:outside; }
details.page > summary .sub { display:block; color:var(--muted); font-size:13px; }
details.page[open] > summary { border-bottom:1px solid var(--line); background:#fafbfd; }
.page-body { padding:8px 18px 16px; }
ol.recs { padding-left:22px; } ol.recs li { margin:0 0 8px; } ol.recs .why { display:block; color:var(--muted); font-size:13px; }
ol.timeline { list-style:none; padding:0; margin:0; border-left:3px solid var(--line); }
ol.timeline > li { position:relative; padding:4px 0 12px 16px; }
ol.timeline > li::before { content:""; position:absolute; left:-8px; top:10px; width:11px; height:11px; border-radius:50%;
  background:#fff; border:3px solid var(--accent); }
ol.timeline > li.st::before { border-color:#8a96a3; }
ol.timeline time { font-weight:600; font-variant-numeric:tabular-nums; margin-right:8px; }
.comment { white-space:pre-wrap; margin:4px 0 0; line-height:1.9; }
mark.seg { background:none; color:inherit; border-bottom:3px solid; padding:1px 2px; }
mark.seg .tag { font-size:10.5px; font-weight:700; letter-spacing:.2px; border-radius:3px; padding:0 4px; margin-right:4px;
  color:#fff; white-space:nowrap; vertical-align:1px; }
.k-action { border-color:#2e7d32 !important; } .k-action .tag, .key.k-action { background:#2e7d32; }
.k-verified { border-color:#00695c !important; } .k-verified .tag, .key.k-verified { background:#00695c; }
.k-plan { border-color:#1565c0 !important; } .k-plan .tag, .key.k-plan { background:#1565c0; }
.k-concern { border-color:#c62828 !important; } .k-concern .tag, .key.k-concern { background:#c62828; }
.k-oversight { border-color:#6a1b9a !important; } .k-oversight .tag, .key.k-oversight { background:#6a1b9a; }
.k-other { border-color:#9e9e9e !important; } .k-other .tag, .key.k-other { background:#616161; }
mark.seg.review { background:#fff8e1; }
.keys { font-size:12px; color:var(--muted); margin:0 0 12px; }
.key { color:#fff; font-weight:700; border-radius:3px; padding:0 5px; margin:0 2px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:0 0 24px; }
@media print { nav.toc, .filters { display:none; } details.page { break-inside:avoid; } }
"""

JS = """
(function () {
  "use strict";
  var table = document.getElementById("gap-table");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var text = document.getElementById("f-text"), status = document.getElementById("f-status");
  var force = document.getElementById("f-force"), strand = document.getElementById("f-strand");
  var count = document.getElementById("f-count"), none = document.getElementById("no-rows");
  function applyFilters() {
    var q = text.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!status.value || r.dataset.status === status.value) &&
        (!force.value || r.dataset.force === force.value) &&
        (!strand.value || (" " + r.dataset.strands + " ").indexOf(" " + strand.value + " ") >= 0);
      r.hidden = !ok; if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " gaps shown";
    none.hidden = shown > 0;
    return shown;
  }
  function sortBy(th) {
    var key = th.dataset.key, numeric = th.dataset.type === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
      if (c.dataset.key) { c.setAttribute("aria-sort", "none"); } });
    th.setAttribute("aria-sort", dir);
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = a.dataset[key] || "", y = b.dataset[key] || "";
      var d = numeric ? parseFloat(x || "0") - parseFloat(y || "0") : x.localeCompare(y, undefined, {numeric: true});
      return sign * (d || (a.dataset.order - b.dataset.order));
    });
    rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var b = th.querySelector("button");
    if (b) { b.addEventListener("click", function () { sortBy(th); }); }
  });
  [text, status, force, strand].forEach(function (el) {
    el.addEventListener("input", applyFilters); el.addEventListener("change", applyFilters); });
  function openTarget() {
    var el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  applyFilters();
  window.peelReport = {applyFilters: applyFilters, sortBy: sortBy};
})();
"""
