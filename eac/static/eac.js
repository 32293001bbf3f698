// Exchange admin center: the little behaviour the pages need. Everything
// works without it except the live mail flow map; it never builds markup
// from text (textContent only).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A click on a list row selects it, as in the EAC.
  document.querySelectorAll("tr[data-href]").forEach(function (tr) {
    tr.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      location.href = tr.dataset.href;
    });
  });
  // "Select server" switches at once.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Delete and remove ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
  // Dialog tabs switch in place, so every tab's values are saved together.
  document.querySelectorAll("[data-tab-link]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var tab = a.dataset.tabLink;
      var keep = document.getElementById("activetab");
      if (keep) keep.value = tab;
      document.querySelectorAll("[data-tab-link]").forEach(function (x) {
        x.classList.toggle("active", x === a);
        x.setAttribute("aria-selected", x === a ? "true" : "false");
      });
      document.querySelectorAll("section[data-tab]").forEach(function (p) {
        p.classList.toggle("hidden", p.dataset.tab !== tab);
      });
    });
  });
  var map = document.getElementById("flowmap");
  if (map) live(map);
});

var SVG = "http://www.w3.org/2000/svg";

function svgText(parent, x, y, cls, text, anchor) {
  var t = document.createElementNS(SVG, "text");
  t.setAttribute("x", x);
  t.setAttribute("y", y);
  if (cls) t.setAttribute("class", cls);
  if (anchor) t.setAttribute("text-anchor", anchor);
  t.textContent = text;
  parent.appendChild(t);
  return t;
}

// live keeps the mail flow map current from the server-sent events.
function live(map) {
  var badge = document.getElementById("live");
  var es = new EventSource(map.dataset.events);
  es.onopen = function () { badge.classList.add("on"); };
  es.onerror = function () { badge.classList.remove("on"); };
  es.addEventListener("flow", function (ev) {
    var d = JSON.parse(ev.data);
    if (d.sig !== map.dataset.sig) {
      // Connectors were added, removed or rebound: draw the map again.
      es.close();
      location.reload();
      return;
    }
    map.querySelectorAll("g.conn[data-key]").forEach(function (g) {
      var c = d.connectors[g.dataset.key];
      if (!c) return;
      g.querySelectorAll("[data-count]").forEach(function (t) {
        var v = String(c[t.dataset.count]);
        if (t.textContent !== v) {
          t.textContent = v;
          g.classList.add("flash");
          setTimeout(function () { g.classList.remove("flash"); }, 600);
        }
      });
    });
    drawQueues(d.queues);
    fitQueues(map, d.queues.length);
    drawRefusals(d.refusals);
  });
}

function drawQueues(queues) {
  var g = document.getElementById("queuerows");
  if (!g) return;
  while (g.firstChild) g.removeChild(g.firstChild);
  if (queues.length === 0) {
    svgText(g, 12, 44, "qstatus", "No queues");
    return;
  }
  queues.forEach(function (q, i) {
    var row = document.createElementNS(SVG, "g");
    row.setAttribute("class", "qrow " + q.status);
    row.setAttribute("data-queue", q.identity);
    row.setAttribute("transform", "translate(0," + (44 + i * 30) + ")");
    var name = q.nextHop || q.identity;
    if (name.length > 26) name = name.slice(0, 25) + "…";
    svgText(row, 12, 0, "", name);
    svgText(row, 12, 13, "qstatus", q.type + " · " + q.status);
    svgText(row, 238, 4, "qcount", String(q.count), "end").setAttribute("data-qcount", q.identity);
    g.appendChild(row);
  });
}

// fitQueues grows the queue box, the Transport service around it and the
// map with the number of queues.
function fitQueues(map, n) {
  var qb = document.getElementById("queuebox"), ts = document.getElementById("tsbox");
  if (!qb || !ts) return;
  var need = 30 + Math.max(n, 2) * 30, old = Number(qb.getAttribute("height"));
  if (need === old) return;
  qb.setAttribute("height", need);
  var tsH = Number(ts.getAttribute("height")) + need - old;
  ts.setAttribute("height", tsH);
  var vb = map.viewBox.baseVal, bottom = Number(ts.dataset.y) + tsH + 24;
  if (bottom > vb.height) map.setAttribute("viewBox", "0 0 " + vb.width + " " + bottom);
}

function drawRefusals(list) {
  var body = document.querySelector("#refusals tbody");
  if (!body) return;
  while (body.firstChild) body.removeChild(body.firstChild);
  if (list.length === 0) {
    var tr = body.insertRow();
    tr.className = "empty";
    var td = tr.insertCell();
    td.colSpan = 4;
    td.textContent = "No refusals since the transport service started.";
    return;
  }
  list.forEach(function (r) {
    var tr = body.insertRow();
    [r.time, r.source, r.connector, r.reply].forEach(function (v, i) {
      var td = tr.insertCell();
      td.textContent = v;
      if (i === 3) td.className = "reply";
    });
  });
}
