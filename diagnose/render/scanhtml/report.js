// The scan report's filters, cell details and copy buttons. Everything it
// shows it reads from the page and writes with textContent: no HTML is
// ever built from the report's strings.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var matrix = $("matrix");
  var fAccount = $("f-account"), fCode = $("f-code"), fVerdict = $("f-verdict"), fRepo = $("f-repo");

  // What the filters test, read once: a thousand rows filter in a frame.
  var groups = [], rows = [];
  if (matrix) {
    Array.prototype.forEach.call(matrix.tBodies, function (tb) {
      var g = { el: tb, account: tb.dataset.account, rows: [] };
      Array.prototype.forEach.call(tb.querySelectorAll("tr.row"), function (tr) {
        var cells = Array.prototype.map.call(tr.querySelectorAll("td.cell"), function (td) {
          return { el: td, code: td.dataset.code || "", verdict: td.className.replace(/.*\bv-(\w+).*/, "$1") };
        });
        var r = { el: tr, repo: tr.cells[0].textContent.toLowerCase(), cells: cells };
        g.rows.push(r);
        rows.push(r);
      });
      groups.push(g);
    });
  }
  var causes = Array.prototype.map.call(document.querySelectorAll("article.cause"), function (a) {
    return {
      el: a, code: a.dataset.code, severity: a.dataset.severity, count: a.querySelector(".repos .n"),
      names: Array.prototype.map.call(a.querySelectorAll("ul.names li"), function (li) {
        return { el: li, account: li.dataset.account, repo: li.querySelector(".r").textContent.toLowerCase() };
      })
    };
  });
  var dests = Array.prototype.slice.call(document.querySelectorAll("section.dest"));
  var pairs = rows.reduce(function (n, r) { return n + r.cells.filter(function (c) { return c.verdict !== "none"; }).length; }, 0);

  var afterApply = null; // set below: what follows each redraw

  function cellMatches(c, code, verdict) {
    return (!code || c.code === code) && (!verdict || c.verdict === verdict);
  }

  function apply() {
    var account = fAccount ? fAccount.value : "", code = fCode ? fCode.value : "";
    var verdict = fVerdict ? fVerdict.value : "", q = fRepo ? fRepo.value.trim().toLowerCase() : "";
    var shownRows = 0, shownPairs = 0;
    groups.forEach(function (g) {
      var inGroup = 0;
      var accountOK = !account || g.account === account;
      g.rows.forEach(function (r) {
        var show = accountOK && (!q || r.repo.indexOf(q) >= 0), match = 0;
        if (show) {
          r.cells.forEach(function (c) {
            var m = c.verdict !== "none" && cellMatches(c, code, verdict);
            c.el.classList.toggle("dim", !m && Boolean(code || verdict));
            if (m) { match++; }
          });
          show = match > 0;
        }
        r.el.hidden = !show;
        if (show) { inGroup++; shownRows++; shownPairs += match; }
      });
      g.el.hidden = inGroup === 0;
    });
    var shownCauses = 0;
    causes.forEach(function (c) {
      var sevOK = !verdict || (verdict === "failing" ? c.severity === "error" : verdict === "unknown" ? c.severity !== "error" : false);
      var n = 0;
      c.names.forEach(function (nm) {
        var show = (!account || nm.account === account) && (!q || nm.repo.indexOf(q) >= 0);
        nm.el.hidden = !show;
        if (show) { n++; }
      });
      var show = sevOK && (!code || c.code === code) && n > 0;
      c.el.hidden = !show;
      if (show) { shownCauses++; }
      if (c.count) {
        var total = c.names.length;
        c.count.textContent = (n === total ? "" : n + " of ") + total + (total === 1 ? " repository" : " repositories");
      }
    });
    dests.forEach(function (d) { d.hidden = !d.querySelector("article.cause:not([hidden])"); });
    var status = $("f-status");
    if (status) {
      status.textContent = shownRows + " of " + rows.length + " repositories · " + shownPairs + " of " + pairs + " pairs · " +
        shownCauses + " of " + causes.length + " root causes";
    }
    if ($("matrix-empty")) { $("matrix-empty").hidden = shownRows > 0; }
    if ($("causes-empty")) { $("causes-empty").hidden = shownCauses > 0 || causes.length === 0; }
    if (afterApply) { afterApply(); }
  }

  var pending = 0;
  function schedule() {
    if (!pending) { pending = window.requestAnimationFrame(function () { pending = 0; apply(); }); }
  }
  [fAccount, fCode, fVerdict].forEach(function (el) { if (el) { el.addEventListener("change", apply); } });
  if (fRepo) { fRepo.addEventListener("input", schedule); }
  var form = $("filters");
  if (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("reset", function (e) {
      e.preventDefault(); // clear and redraw at once, not after the reset
      [fAccount, fCode, fVerdict, fRepo].forEach(function (el) { if (el) { el.value = ""; } });
      apply();
    });
  }

  // A cell's pair, verdict, root cause and summary, from its row, its
  // column and the page's list of summaries.
  var notes = $("notes") ? $("notes").children : [];
  function describe(td) {
    var tr = td.parentNode, head = matrix.tHead.rows[0].cells[td.cellIndex];
    var monos = head.querySelectorAll(".mono");
    var verdict = td.className.replace(/.*\bv-(\w+).*/, "$1");
    var what = verdict === "none" ? "not replicated there" : verdict + (td.dataset.code ? " (" + td.dataset.code + ")" : "");
    var n = td.dataset.n ? notes[Number(td.dataset.n)] : null;
    return {
      pair: tr.cells[0].textContent + " → " + monos[0].textContent + "/" + monos[1].textContent,
      text: what + (n ? "\n" + n.textContent : "")
    };
  }
  // Tooltips are written when the pointer or the focus first gets to a cell.
  function tip(e) {
    var td = e.target.closest && e.target.closest("td.cell");
    if (td && !td.hasAttribute("title")) {
      var d = describe(td);
      td.setAttribute("title", d.pair + ": " + d.text);
    }
  }
  if (matrix) {
    matrix.addEventListener("mouseover", tip);
    matrix.addEventListener("focusin", tip);
  }

  // A click (or Enter) on a cell shows the pair's verdict and root cause.
  var detail = $("detail"), selected = null;
  function show(td) {
    if (!detail) { return; }
    var d = describe(td);
    $("detail-h").textContent = d.pair;
    $("detail-p").textContent = d.text;
    var a = $("detail-a");
    if (td.dataset.cause) { a.hidden = false; a.setAttribute("href", "#" + td.dataset.cause); } else { a.hidden = true; }
    if (selected) { selected.classList.remove("sel"); }
    selected = td;
    td.classList.add("sel");
    detail.hidden = false;
  }
  if (matrix) {
    matrix.addEventListener("click", function (e) {
      var td = e.target.closest("td.cell");
      if (td) { show(td); }
    });
    // The matrix is one stop for Tab; the arrow keys move between the
    // cells shown, Enter opens one (a thousand rows are not 5,000 stops).
    var current = null;
    var focusCell = function (td) {
      if (!td) { return; }
      if (current) { current.tabIndex = -1; }
      current = td;
      td.tabIndex = 0;
      td.focus();
    };
    var visibleRows = function () {
      return rows.filter(function (r) { return !r.el.hidden; }).map(function (r) { return r.el; });
    };
    matrix.addEventListener("keydown", function (e) {
      var td = e.target.closest && e.target.closest("td.cell");
      if (!td) { return; }
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(td); return; }
      var tr = td.parentNode, i = td.cellIndex, list, k;
      switch (e.key) {
        case "ArrowLeft": focusCell(i > 1 ? tr.cells[i - 1] : null); break;
        case "ArrowRight": focusCell(tr.cells[i + 1] || null); break;
        case "ArrowUp": case "ArrowDown":
          list = visibleRows();
          k = list.indexOf(tr) + (e.key === "ArrowUp" ? -1 : 1);
          focusCell(k >= 0 && k < list.length ? list[k].cells[i] : null);
          break;
        default: return;
      }
      e.preventDefault();
    });
    matrix.addEventListener("focusin", function (e) {
      var td = e.target.closest && e.target.closest("td.cell");
      if (td && td !== current) { focusCell(td); }
    });
    // The first cell shown is the Tab stop, after every filter.
    var entry = function () {
      if (current && current.parentNode && !current.parentNode.hidden) { return; }
      var list = visibleRows();
      if (current) { current.tabIndex = -1; current = null; }
      if (list.length) { current = list[0].cells[1]; current.tabIndex = 0; }
    };
    entry();
    afterApply = entry;
  }
  if ($("detail-close")) {
    $("detail-close").addEventListener("click", function () {
      detail.hidden = true;
      if (selected) { selected.classList.remove("sel"); selected = null; }
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && detail && !detail.hidden) { $("detail-close").click(); }
  });
  // A root cause linked from a cell opens its repository list.
  function openTarget() {
    var id = window.location.hash.slice(1), el = id && document.getElementById(id);
    if (el && el.matches("article.cause")) {
      el.hidden = false;
      var d = el.querySelector("details.repos");
      if (d) { d.open = true; }
    }
  }
  window.addEventListener("hashchange", openTarget);

  // Copy buttons copy the code block they sit above.
  function copied(btn, ok) {
    btn.textContent = ok ? "Copied" : "Select and copy";
    btn.classList.toggle("done", ok);
    window.setTimeout(function () { btn.textContent = "Copy"; btn.classList.remove("done"); }, 1500);
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("button.copy");
    if (!btn) { return; }
    e.preventDefault(); // the button sits in a <summary>: do not fold
    var pre = btn.closest("details").querySelector("pre");
    var text = pre.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(btn, true); }, function () { copied(btn, fallbackCopy(pre)); });
    } else {
      copied(btn, fallbackCopy(pre));
    }
  });
  function fallbackCopy(pre) {
    var range = document.createRange();
    range.selectNodeContents(pre);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { return document.execCommand("copy"); } catch (err) { return false; }
  }

  apply();
  openTarget();
})();
