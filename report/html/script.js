(function () {
  'use strict';
  // Progressive enhancement only: the page is complete without this script.
  // It sorts, filters and pages rows that already exist and never builds
  // markup from report data (no innerHTML), so nothing here can inject.
  var doc = document;
  function $(id) { return doc.getElementById(id); }

  doc.addEventListener('click', function (ev) {
    var b = ev.target;
    if (!b || !b.classList || !b.classList.contains('copy')) { return; }
    var code = b.parentNode.querySelector('code');
    if (!code) { return; }
    var text = code.textContent;
    function done(ok) { b.textContent = ok ? 'Copied' : 'Select and copy'; setTimeout(function () { b.textContent = 'Copy'; }, 1500); }
    function fallback() {
      var sel = window.getSelection(), range = doc.createRange();
      range.selectNodeContents(code); sel.removeAllRanges(); sel.addRange(range);
      var ok = false;
      try { ok = doc.execCommand('copy'); } catch (e) { ok = false; }
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else { fallback(); }
  });

  // Printing shows every filtered finding expanded.
  var opened = [];
  window.addEventListener('beforeprint', function () {
    opened = Array.prototype.filter.call(doc.querySelectorAll('details'), function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () { opened.forEach(function (d) { d.open = false; }); opened = []; });

  var body = $('findings-body');
  if (body) {
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r.csIndex = i; });
    // Search text is collected on the first search, not at load: 10,000 rows.
    var text = function (r) { if (r.csText === undefined) { r.csText = r.textContent.toLowerCase(); } return r.csText; };
    var ctl = { sev: $('f-sev'), cat: $('f-cat'), type: $('f-type'), status: $('f-status'), q: $('f-q'), size: $('f-size') };
    var pager = $('pager'), info = $('p-info'), prev = $('p-prev'), next = $('p-next');
    var shown = rows, pageNo = 0, sortKey = 'sev', dir = 1;
    var keys = {
      sev: function (r) { return +r.getAttribute('data-rank'); },
      check: function (r) { return r.cells[1].textContent; },
      type: function (r) { return r.cells[2].textContent; },
      res: function (r) { return r.cells[3].textContent.toLowerCase(); },
      msg: function (r) { return r.cells[4].querySelector('summary').textContent.toLowerCase(); },
      status: function (r) { return r.getAttribute('data-status'); }
    };

    var paginate = function () {
      var size = +ctl.size.value, n = shown.length;
      var pages = size > 0 ? Math.max(1, Math.ceil(n / size)) : 1;
      if (pageNo >= pages) { pageNo = pages - 1; }
      var start = size > 0 ? pageNo * size : 0, end = size > 0 ? start + size : n;
      shown.forEach(function (r, i) { r.classList.toggle('pg-off', i < start || i >= end); });
      info.textContent = n === 0 ? 'no matching findings' :
        (start + 1) + '–' + Math.min(end, n) + ' of ' + n + ' findings' + (n < rows.length ? ' (filtered from ' + rows.length + ')' : '') +
        ', page ' + (pageNo + 1) + ' of ' + pages;
      prev.disabled = pageNo === 0;
      next.disabled = pageNo >= pages - 1;
    };

    var filter = function () {
      var sev = ctl.sev.value, cat = ctl.cat.value, type = ctl.type.value, status = ctl.status.value;
      var q = ctl.q.value.trim().toLowerCase();
      shown = [];
      rows.forEach(function (r) {
        var ok = (!sev || r.getAttribute('data-sev') === sev) && (!cat || r.getAttribute('data-cat') === cat) &&
          (!type || r.getAttribute('data-type') === type) && (!status || r.getAttribute('data-status') === status) &&
          (!q || text(r).indexOf(q) >= 0);
        r.classList.toggle('flt-off', !ok);
        if (ok) { shown.push(r); }
      });
      pageNo = 0;
      paginate();
    };

    var sortBy = function (key) {
      dir = key === sortKey ? -dir : 1;
      sortKey = key;
      var k = keys[key];
      rows.sort(function (a, b) {
        var x = k(a), y = k(b);
        return (x < y ? -1 : x > y ? 1 : a.csIndex - b.csIndex) * dir;
      });
      var frag = doc.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
      Array.prototype.forEach.call(body.parentNode.tHead.rows[0].cells, function (th) {
        if (th.getAttribute('data-key') === key) { th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending'); } else { th.removeAttribute('aria-sort'); }
      });
      filter();
    };

    Array.prototype.forEach.call(body.parentNode.tHead.rows[0].cells, function (th) {
      th.addEventListener('click', function () { sortBy(th.getAttribute('data-key')); });
    });
    ['sev', 'cat', 'type', 'status', 'size'].forEach(function (k) { ctl[k].addEventListener('change', filter); });
    var timer = 0;
    ctl.q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(filter, 150); });
    prev.addEventListener('click', function () { pageNo--; paginate(); });
    next.addEventListener('click', function () { pageNo++; paginate(); });
    $('controls').hidden = false;
    pager.hidden = false;
    // A view can be linked: #sev=high&q=kvm&sort=res&dir=desc (also used by
    // the browser tests to drive the filters).
    var want = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) {
        try { want[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' ')); } catch (e) { /* ignore a malformed part */ }
      }
    });
    ['sev', 'cat', 'type', 'status', 'q', 'size'].forEach(function (k) {
      if (want[k] === undefined) { return; }
      var el = ctl[k];
      if (el.tagName === 'SELECT' && !Array.prototype.some.call(el.options, function (o) { return o.value === want[k]; })) { return; }
      el.value = want[k];
    });
    if (want.sort && keys[want.sort]) {
      if (want.sort === sortKey) { dir = -dir; } // sortBy flips it back to ascending
      sortBy(want.sort);
      if (want.dir === 'desc') { sortBy(want.sort); }
    } else {
      filter();
    }
  }
  // Tests read this marker from the DOM to know the script ran to the end.
  doc.documentElement.setAttribute('data-csaudit-ready', '1');
}());
