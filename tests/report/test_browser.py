"""report.html in a real browser (headless Chromium over the DevTools pipe), on sample_data/ and on a
generated 50,000-record result: the page stays short and inside the viewport, tables fit their
cards, nothing logs an error, and the record browser pages, filters and searches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, sample_file
from curate.cli import main

WIDTH = 1400
MAX_HEIGHT = 15_000
MAX_BYTES = 5_000_000

LAYOUT = """(function(){
  var W = document.documentElement.clientWidth, wide = [], narrow = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;  // not rendered (a folded section)
    if (r.right > W + 1) wide.push(e.tagName + '#' + e.id + '.' + e.className + ' right=' + Math.round(r.right));
  });
  document.querySelectorAll('td, th').forEach(function (c) {
    var r = c.getBoundingClientRect(), t = c.textContent.trim();
    if (r.width > 0 && r.width < 90 && t.length > 24) narrow.push(Math.round(r.width) + 'px: ' + t.slice(0, 40));
  });
  document.querySelectorAll('table, svg, figure, pre, .pair, .cmd').forEach(function (e) {
    var box = e.closest('.card, details.rule'), r = e.getBoundingClientRect();
    if (!box || (r.width === 0 && r.height === 0)) return;
    var cls = typeof e.className === 'string' ? e.className : '';
    if (r.right > box.getBoundingClientRect().right + 1) wide.push('past its card: ' + e.tagName + '.' + cls + ' right=' + Math.round(r.right));
  });
  return {height: document.documentElement.scrollHeight, wide: wide, narrow: narrow};
})()"""

ROWS = "document.querySelectorAll('#records article.rec').length"


def _open_all(page) -> None:
    page.js("document.querySelectorAll('details').forEach(function(d){d.open=true;})")


def check_page(report: Path, *, screenshot: Path | None = None, dup_screenshot: Path | None = None) -> dict:
    """Every layout assertion of issue 16 on one report; returns what the browser measured."""
    from cdp import Page

    assert report.stat().st_size < MAX_BYTES, f"{report.stat().st_size:,} bytes"
    with Page(width=WIDTH) as page:
        page.open(report)
        first = page.js(LAYOUT)
        assert first["height"] < MAX_HEIGHT, f"page is {first['height']:,} px tall at {WIDTH} px"
        assert first["wide"] == [], f"elements wider than the viewport: {first['wide'][:5]}"
        assert first["narrow"] == [], f"squeezed cells: {first['narrow'][:5]}"
        if screenshot:
            page.screenshot(screenshot, max_height=1800)
        # the browser: a page of records, then the next page
        total = int(page.js("document.getElementById('shown').textContent"))
        assert total > 25
        assert page.js(ROWS) == 25
        ids1 = page.js("Array.from(document.querySelectorAll('#records .rid')).map(function(e){return e.textContent})")
        page.js("document.getElementById('next').click()")
        assert page.js("document.getElementById('pageinfo').textContent").startswith("page 2 of ")
        ids2 = page.js("Array.from(document.querySelectorAll('#records .rid')).map(function(e){return e.textContent})")
        assert ids2 and not set(ids1) & set(ids2)
        # pick a rule: only its records, as many as the option says
        opt = page.js("(function(){var o=document.querySelectorAll('#rulefilter option');return [o[o.length-1].value, o[o.length-1].textContent]})()")
        page.js(f"var s=document.getElementById('rulefilter');s.value={json.dumps(opt[0])};s.dispatchEvent(new Event('change'))")
        n_rule = int(page.js("document.getElementById('shown').textContent"))
        assert 0 < n_rule < total and (f"({n_rule:,})" in opt[1] or f"({n_rule:,} of " in opt[1])
        rules = page.js("Array.from(document.querySelectorAll('#records article.rec')).map(function(e){return e.dataset.rules})")
        assert rules and all(opt[0] in r.split(" ") for r in rules)
        assert page.js(ROWS) == min(25, n_rule)
        # a free-text search for one record's id finds it
        page.js("var s=document.getElementById('rulefilter');s.value='';s.dispatchEvent(new Event('change'))")
        target = ids2[0]
        page.js(f"var q=document.getElementById('q');q.value={json.dumps(target)};q.dispatchEvent(new Event('input'))")
        found = page.js("Array.from(document.querySelectorAll('#records .rid')).map(function(e){return e.textContent})")
        assert target in found and len(found) < total
        page.js("var q=document.getElementById('q');q.value='';q.dispatchEvent(new Event('input'))")
        if dup_screenshot:
            has = page.js("(function(){var s=document.getElementById('rulefilter');"
                          "var o=Array.from(s.options).find(function(o){return o.value.indexOf('near_dup')>=0});"
                          "if(!o)return false;s.value=o.value;s.dispatchEvent(new Event('change'));"
                          "return !!document.querySelector('#records .pair')})()")
            if has:
                page.screenshot(dup_screenshot, selector="#browser-card", max_height=1100)
        # every folded section opened: still nothing sticks out, no cell is squeezed
        _open_all(page)
        opened = page.js(LAYOUT)
        assert opened["wide"] == [], f"with every section open, wider than the viewport: {opened['wide'][:5]}"
        assert opened["narrow"] == [], f"with every section open, squeezed cells: {opened['narrow'][:5]}"
        assert page.console_errors() == []
    return {"height": first["height"], "bytes": report.stat().st_size, "records": total}


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "audit"
    main(["audit", str(sample_file("support_sft.jsonl")), "--eval", str(sample_file("support_eval.jsonl")),
          "--reference", str(sample_file("production_queries.jsonl")), "--out", str(out)])
    return out / "report.html"


def test_sample_report_is_short_fits_and_browses(sample_report, tmp_path):
    shots = tmp_path / "report.png", tmp_path / "report-duplicates.png"
    got = check_page(sample_report, screenshot=shots[0], dup_screenshot=shots[1])
    assert got["records"] >= 300
    assert shots[0].stat().st_size > 20_000 and shots[1].exists()
    docs = ROOT / "docs"  # CURATE_DOC_SCREENSHOTS=1 refreshes the README's pictures
    import os

    if os.environ.get("CURATE_DOC_SCREENSHOTS"):
        docs.mkdir(exist_ok=True)
        for s in shots:
            shutil.copy(s, docs / s.name)


def test_a_50000_record_report_stays_small_and_browses(tmp_path):
    from synthetic import big_result

    from curate.report import write_outputs

    result = big_result(50_000)
    out = write_outputs(result, tmp_path / "big")
    got = check_page(out / "report.html")
    assert got["records"] < result.signals["flagged_by"].map(len).gt(0).sum()  # bounded: the rest are counted
    html = (out / "report.html").read_text()
    assert "most serious of" in html
