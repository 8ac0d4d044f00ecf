// The record browser: records come from the JSON block, are filtered, sorted and shown a page at a
// time. Dataset text is only ever inserted with textContent (never innerHTML).
(function () {
  var data = JSON.parse(document.getElementById('records-data').textContent);
  var recs = data, PAGE = 25, page = 0, shown = recs;
  var q = document.getElementById('q'), rule = document.getElementById('rulefilter'),
      sev = document.getElementById('sevfilter'), sort = document.getElementById('sort'),
      list = document.getElementById('records'), count = document.getElementById('shown'),
      pageinfo = document.getElementById('pageinfo'), prev = document.getElementById('prev'),
      next = document.getElementById('next');
  recs.forEach(function (r) {
    var parts = [r.id];
    r.f.forEach(function (f) {
      parts.push(f.rule, f.ev);
      (f.ctx || []).forEach(function (c) { parts.push(c.before, c.mark, c.after); });
      if (f.dup) { f.dup.right.forEach(function (p) { parts.push(p[1]); }); }
    });
    r.hay = parts.join(' ').toLowerCase();
  });
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function context(c) {
    var box = el('div', 'ctx');
    if (c.field) box.appendChild(el('span', 'field', c.field));
    var t = el('span', 'ctxtext');
    t.appendChild(document.createTextNode(c.before || ''));
    if (c.mark) t.appendChild(el('mark', c.masked ? 'pii' : '', c.mark));
    t.appendChild(document.createTextNode(c.after || ''));
    box.appendChild(t);
    if (c.note) box.appendChild(el('div', 'muted small', c.note));
    return box;
  }
  function side(title, pieces) {
    var col = el('div', 'side');
    col.appendChild(el('div', 'sidehead', title));
    var t = el('div', 'ctxtext');
    pieces.forEach(function (p) {
      if (p[0]) t.appendChild(document.createTextNode(p[1])); else t.appendChild(el('mark', 'diff', p[1]));
    });
    col.appendChild(t);
    return col;
  }
  function finding(r, f) {
    var box = el('div', 'finding');
    var head = el('div', 'fhead');
    head.appendChild(el('span', 'badge ' + f.sev, f.sev));
    head.appendChild(el('b', '', ' ' + f.rule + ' '));
    head.appendChild(el('span', 'ev', f.ev));
    box.appendChild(head);
    if (f.dup) {
      var pair = el('div', 'pair');
      pair.appendChild(side('kept: ' + f.dup.kept, f.dup.left));
      pair.appendChild(side('this record: ' + r.id + ' (' + f.dup.sim + ')', f.dup.right));
      box.appendChild(pair);
    }
    if (f.label) {
      var l = f.label, p = el('div', 'label');
      p.appendChild(el('span', '', 'given: ' + l.given + (l.given_p !== null ? ' (p=' + l.given_p + ')' : '') +
        ' · suggested: ' + l.suggested + (l.suggested_p !== null ? ' (p=' + l.suggested_p + ')' : '')));
      if (l.neighbours && l.neighbours.length) {
        p.appendChild(el('div', 'muted small', l.how));
        var ul = el('ul', 'nb');
        l.neighbours.forEach(function (n) {
          ul.appendChild(el('li', '', n.label + ' · cosine ' + n.sim + ' · ' + n.id + ': ' + n.text));
        });
        p.appendChild(ul);
      }
      box.appendChild(p);
    }
    (f.ctx || []).forEach(function (c) { box.appendChild(context(c)); });
    return box;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    while (list.firstChild) list.removeChild(list.firstChild);
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) {
      var card = el('article', 'rec');
      card.setAttribute('data-rules', r.f.map(function (f) { return f.rule; }).join(' '));
      var h = el('div', 'rhead');
      h.appendChild(el('b', 'rid', r.id));
      h.appendChild(el('span', 'muted', ' · record ' + (r.n + 1) + ' of the file'));
      card.appendChild(h);
      // the first three findings in full; more (rare) as their one-line heads, so no card grows without bound
      r.f.forEach(function (f, k) { card.appendChild(k < 3 ? finding(r, f) : finding(r, {rule: f.rule, sev: f.sev, ev: f.ev})); });
      list.appendChild(card);
    });
    count.textContent = shown.length;
    pageinfo.textContent = 'page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  function apply() {
    var t = q.value.trim().toLowerCase(), ru = rule.value, sv = sev.value;
    shown = recs.filter(function (r) {
      if (t && r.hay.indexOf(t) < 0) return false;
      return r.f.some(function (f) { return (!ru || f.rule === ru) && (!sv || f.sev === sv); });
    });
    if (sort.value === 'order') shown = shown.slice().sort(function (a, b) { return a.n - b.n; });
    else if (sort.value === 'score_asc') shown = shown.slice().sort(function (a, b) { return a.s - b.s || a.n - b.n; });
    page = 0;
    render();
  }
  q.addEventListener('input', apply);
  rule.addEventListener('change', apply);
  sev.addEventListener('change', apply);
  sort.addEventListener('change', apply);
  prev.addEventListener('click', function () { page -= 1; render(); });
  next.addEventListener('click', function () { page += 1; render(); });
  Array.prototype.forEach.call(document.querySelectorAll('a[data-rule]'), function (a) {
    a.addEventListener('click', function () { rule.value = a.getAttribute('data-rule'); sev.value = ''; q.value = ''; apply(); });
  });
  apply();
})();
