// framelabel report: timeline, gates, seeking and sorting. No libraries, no network.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const video = document.getElementById("player");
  const SEEK_EPS = 0.0005; // land just inside a frame, never on the previous one
  const GUTTER = 86;       // px on the left for row names
  const clock = { t: 0 };  // stands in for the player when there is no video
  const duration = () => (video && isFinite(video.duration) && video.duration > 0 ? Math.max(video.duration, D.duration) : D.duration) || 1;
  const now = () => (video ? video.currentTime : clock.t);
  const rowDur = D.frames ? 1 / D.frames.rate : (D.source_fps ? 1 / D.source_fps : 0.04);

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(t) {
    const m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(2);
  }
  function runAt(runs, t) { // binary search: the run [t0, t1) holding t
    let lo = 0, hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, r = runs[mid];
      if (t < r[0]) hi = mid - 1; else if (t >= r[1]) lo = mid + 1; else return mid;
    }
    return -1;
  }

  function seek(t) {
    t = Math.min(Math.max(0, t), Math.max(0, duration() - 1e-3));
    if (video) video.currentTime = t + SEEK_EPS; else clock.t = t + SEEK_EPS;
    update();
  }
  const starts = D.pred.map((r) => r[0]);
  function step(dir) { // to the next / previous segment start
    const t = now();
    let target = null;
    if (dir > 0) target = starts.find((s) => s > t + 1e-3);
    else for (const s of starts) if (s < t - 1e-3) target = s;
    if (target !== null && target !== undefined) seek(target);
  }

  // A click within SNAP_PX of a transition (a segment start, predicted or true) lands on it
  // exactly; anywhere else it seeks to the time under the pointer.
  const SNAP_PX = 3;
  const boundaries = starts.concat(D.truth ? D.truth.map((r) => r[0]) : []);
  function snap(p, x) {
    let best = null;
    for (const b of boundaries) if (Math.abs(p.x(b) - x) <= SNAP_PX && (best === null || Math.abs(p.x(b) - x) < Math.abs(p.x(best) - x))) best = b;
    return best === null ? p.t(x) : best;
  }

  // ---- drawing: one SVG per panel, rows stacked, x = time -------------------------------
  const panels = [];
  function panel(host, rows) {
    const svg = el("svg", { role: "img" }, host);
    const p = { host, svg, rows, width: 0, height: 0 };
    p.x = (t) => GUTTER + (t / duration()) * (p.width - GUTTER - 4);
    p.t = (x) => ((x - GUTTER) / (p.width - GUTTER - 4)) * duration();
    svg.addEventListener("click", (ev) => {
      const x = ev.clientX - svg.getBoundingClientRect().left;
      if (x >= GUTTER) seek(snap(p, x));
    });
    svg.addEventListener("mousemove", (ev) => hover(p, ev.clientX - svg.getBoundingClientRect().left));
    svg.addEventListener("mouseleave", () => hover(p, -1));
    panels.push(p);
    return p;
  }
  function draw(p) {
    p.width = p.host.clientWidth || 800;
    while (p.svg.firstChild) p.svg.removeChild(p.svg.firstChild);
    let y = 2;
    for (const row of p.rows) {
      const g = el("g", { class: "row " + row.cls, transform: "translate(0," + y + ")" }, p.svg);
      el("text", { x: 4, y: row.h / 2 + 4 }, g).textContent = row.name;
      row.draw(g, p, row.h);
      y += row.h + 4;
    }
    axis(p, y);
    p.height = y + 16;
    p.svg.setAttribute("viewBox", "0 0 " + p.width + " " + p.height);
    p.svg.setAttribute("height", p.height);
    p.head = el("line", { class: "playhead", y1: 0, y2: p.height - 14, stroke: "#d62728", "stroke-width": 1.5 }, p.svg);
    p.hoverLine = el("line", { y1: 0, y2: p.height - 14, stroke: "#888", "stroke-dasharray": "2 2", visibility: "hidden" }, p.svg);
    placeHead(p);
  }
  function axis(p, y) {
    const d = duration(), approx = d / 8;
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    const every = steps.find((s) => s >= approx) || 3600;
    const label = (t) => (every >= 1 ? fmt(t).replace(/\.\d+$/, "") : fmt(t));
    for (let t = 0; t <= d + 1e-9; t += every) {
      el("line", { x1: p.x(t), x2: p.x(t), y1: y - 2, y2: y + 2, stroke: "#aaa" }, p.svg);
      if (p.x(t) + 48 < p.width) el("text", { x: p.x(t) + 2, y: y + 12 }, p.svg).textContent = label(t);
    }
  }
  function ribbon(runs, colorOf) {
    return (g, p, h) => {
      const minW = 1.5; // px: a one-frame cut stays visible on a long video
      for (const r of runs) {
        const x0 = p.x(r[0]), w = Math.max(minW, p.x(r[1]) - x0);
        el("rect", { x: x0, y: 0, width: w, height: h, fill: colorOf(r) }, g);
      }
    };
  }
  function area(ts, vs, color, scale, line) {
    return (g, p, h) => {
      if (!ts.length) return;
      const top = scale || 1, pts = [];
      for (let i = 0; i < ts.length; i++) pts.push(p.x(ts[i]).toFixed(1) + "," + (h - (vs[i] / top) * h).toFixed(1));
      const last = p.x(duration()).toFixed(1);
      pts.push(last + "," + (h - (vs[vs.length - 1] / top) * h).toFixed(1));
      el("rect", { x: GUTTER, y: 0, width: p.width - GUTTER - 4, height: h, fill: "#f3f3f5" }, g);
      if (!line) el("polygon", { points: p.x(ts[0]).toFixed(1) + "," + h + " " + pts.join(" ") + " " + last + "," + h, fill: color, "fill-opacity": 0.35 }, g);
      el("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.2 }, g);
    };
  }
  function band(ts, lo, hi, color, scale) {
    return (g, p, h) => {
      if (!lo || !hi) return;
      const up = [], down = [];
      for (let i = 0; i < ts.length; i++) {
        up.push(p.x(ts[i]).toFixed(1) + "," + (h - (hi[i] / scale) * h).toFixed(1));
        down.unshift(p.x(ts[i]).toFixed(1) + "," + (h - (lo[i] / scale) * h).toFixed(1));
      }
      el("polygon", { points: up.concat(down).join(" "), fill: color, "fill-opacity": 0.18 }, g);
    };
  }
  function markers(times) {
    return (g, p, h) => { for (const t of times) el("line", { x1: p.x(t), x2: p.x(t), y1: 0, y2: h, stroke: "#999", "stroke-opacity": 0.5 }, g); };
  }
  function both(...fns) { return (g, p, h) => fns.forEach((f) => f(g, p, h)); }
  function threshold(v) {
    return (g, p, h) => el("line", { x1: GUTTER, x2: p.width - 4, y1: h - v * h, y2: h - v * h, stroke: "#b8860b", "stroke-dasharray": "4 3" }, g);
  }

  function timelineRows() {
    const color = (r) => D.colors[r[2]] || "#888";
    const rows = [{ name: "prediction", cls: "pred", h: 18, draw: ribbon(D.pred, color) }];
    if (D.truth) rows.push({ name: "truth", cls: "truth", h: 18, draw: ribbon(D.truth, color) });
    if (D.wrong) rows.push({ name: "differs", cls: "wrong", h: 6, draw: ribbon(D.wrong, () => "#d62728") });
    const T = D.trace;
    rows.push({ name: "confidence", cls: "conf", h: 34, draw: both(area(T.t, T.conf, "#555"), threshold(D.threshold)) });
    const h = D.classes.length > 6 ? 16 : 24;
    D.classes.forEach((c, k) => rows.push({ name: "p(" + c + ")", cls: "prob", h, draw: area(T.t, T.probs[k], D.colors[k]) }));
    return rows;
  }
  function gateRows() {
    const G = D.gates, trans = starts.slice(1);
    const names = [["forget", "#1f77b4"], ["input", "#2ca02c"], ["output", "#ff7f0e"]];
    const rows = names.map(([n, c]) => ({ name: n, cls: "gate", h: 30, draw: both(markers(trans), band(G.t, G[n + "_lo"], G[n + "_hi"], c, 1), area(G.t, G[n], c, 1, true)) }));
    const top = Math.max(1e-6, ...(G.cell_norm_hi || G.cell_norm));
    rows.push({ name: "cell norm", cls: "gate", h: 30, draw: both(markers(trans), band(G.t, G.cell_norm_lo, G.cell_norm_hi, "#9467bd", top), area(G.t, G.cell_norm, "#9467bd", top, true)) });
    return rows;
  }

  // ---- playhead, readout, current segment ----------------------------------------------
  function placeHead(p) {
    if (!p.head) return;
    const x = p.x(now());
    p.head.setAttribute("x1", x); p.head.setAttribute("x2", x);
  }
  function hover(p, x) {
    if (!p.hoverLine) return;
    if (x < GUTTER) { p.hoverLine.setAttribute("visibility", "hidden"); readout(); return; }
    p.hoverLine.setAttribute("visibility", "visible");
    p.hoverLine.setAttribute("x1", x); p.hoverLine.setAttribute("x2", x);
    readout(p.t(x), true);
  }
  const out = document.getElementById("readout");
  function readout(t, hovering) {
    if (t === undefined) t = now();
    const i = runAt(D.pred, t), parts = [(hovering ? "at " : "") + fmt(t) + " s"];
    if (D.frames) parts.push("frame " + (D.frames.first + D.frames.step * Math.floor(t * D.frames.rate + 1e-6)));
    if (i >= 0) parts.push("segment " + (i + 1) + ": " + D.classes[D.pred[i][2]]);
    if (D.truth) { const j = runAt(D.truth, t); parts.push("truth: " + (j >= 0 ? D.classes[D.truth[j][2]] : "unlabeled")); }
    out.textContent = parts.join("  \u00b7  ");
  }
  let currentRow = null;
  function markCurrent() {
    const i = runAt(D.pred, now());
    const row = i >= 0 ? document.querySelector('#segments tbody tr[data-i="' + i + '"]') : null;
    if (row === currentRow) return;
    if (currentRow) currentRow.classList.remove("current");
    if (row) row.classList.add("current");
    currentRow = row;
  }
  function update() { panels.forEach(placeHead); readout(); markCurrent(); }

  // ---- the segment table: sort by a column, click a row to seek --------------------------
  function sortable(table) {
    const body = table.tBodies[0];
    table.tHead.addEventListener("click", (ev) => {
      const th = ev.target.closest("th");
      if (!th) return;
      const col = +th.dataset.col, dir = th.dataset.sort === "asc" ? "desc" : "asc";
      table.tHead.querySelectorAll("th").forEach((h) => h.removeAttribute("data-sort"));
      th.dataset.sort = dir;
      const key = (tr) => tr.children[col].dataset.v, rows = Array.from(body.rows);
      const numeric = rows.every((tr) => key(tr) !== "" && !isNaN(+key(tr)));
      rows.sort((a, b) => {
        const x = key(a), y = key(b), c = numeric ? x - y : x.localeCompare(y);
        return dir === "asc" ? c : -c;
      });
      rows.forEach((tr) => body.appendChild(tr));
    });
  }

  // ---- wiring ---------------------------------------------------------------------------
  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName)) return;
    const k = ev.key;
    if (k === "n" || k === "ArrowRight") step(1);
    else if (k === "p" || k === "ArrowLeft") step(-1);
    else if (k === "." || k === ",") { if (video) video.pause(); seek(now() + (k === "." ? rowDur : -rowDur)); }
    else if (k === " " && video) { if (video.paused) video.play().catch(() => {}); else video.pause(); }
    else return;
    ev.preventDefault();
    ev.stopPropagation();
  }
  function init() {
    panel(document.getElementById("timeline"), timelineRows());
    const gatesHost = document.getElementById("gates");
    if (gatesHost && D.gates) panel(gatesHost, gateRows());
    panels.forEach(draw);
    const table = document.getElementById("segments");
    if (table) sortable(table);
    document.addEventListener("click", (ev) => {
      const target = ev.target.closest("[data-t]");
      if (!target || target.closest("svg")) return;
      ev.preventDefault();
      seek(parseFloat(target.dataset.t));
    });
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("resize", () => panels.forEach(draw));
    if (video) {
      ["timeupdate", "seeked", "loadedmetadata"].forEach((e) => video.addEventListener(e, update));
      video.addEventListener("loadedmetadata", () => panels.forEach(draw));
      const tick = () => { update(); if (!video.paused) requestAnimationFrame(tick); };
      video.addEventListener("play", () => requestAnimationFrame(tick));
    }
    const m = /^#t=([0-9.]+)$/.exec(location.hash);
    if (m) seek(parseFloat(m[1]));
    update();
    document.body.dataset.ready = "1";
  }
  init();
})();
