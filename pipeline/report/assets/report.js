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
  // Track rows on the player's clock: a rule when regular, else the lists (payload.row_table).
  const R = D.rows;
  const rowCount = R.count !== undefined ? R.count : R.t.length;
  const rowTime = (i) => (R.rate ? R.t0 + i / R.rate : R.t[i]);
  const rowFrame = (i) => (R.rate ? R.first + R.step * i : R.frame[i]);
  function rowAt(t) { // the row playing at t (the last one starting at or before it)
    if (!rowCount) return -1;
    if (R.rate) return Math.min(rowCount - 1, Math.max(0, Math.floor((t - R.t0) * R.rate + 1e-6)));
    let lo = 0, hi = rowCount - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (R.t[mid] <= t + 1e-6) lo = mid; else hi = mid - 1; }
    return lo;
  }

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

  // Every seek writes #t= (copy the address to link the moment); a changed hash seeks.
  let writtenHash = "";
  function seek(t) {
    t = Math.min(Math.max(0, t), Math.max(0, duration() - 1e-3));
    if (video) video.currentTime = t + SEEK_EPS; else clock.t = t + SEEK_EPS;
    writtenHash = "#t=" + (+t.toFixed(4));
    if (location.hash !== writtenHash) history.replaceState(null, "", writtenHash);
    follow(t);
    update();
  }
  function followHash() {
    const m = /^#t=([0-9.]+)$/.exec(location.hash);
    if (m && location.hash !== writtenHash) seek(parseFloat(m[1]));
  }
  let starts = D.pred.map((r) => r[0]);  // segment starts for n / p: the edited ones once edited
  function step(dir) { // to the next / previous segment start
    const t = now();
    let target = null;
    if (dir > 0) target = starts.find((s) => s > t + 1e-3);
    else for (const s of starts) if (s < t - 1e-3) target = s;
    if (target !== null && target !== undefined) seek(target);
  }

  function stepFrame(dir) { // to the first instant of the next / previous row
    const i = rowAt(now());
    if (i < 0) return;
    seek(rowTime(Math.min(rowCount - 1, Math.max(0, i + dir))));
  }

  // A click within SNAP_PX of a transition (a segment start, predicted or true) lands on it
  // exactly; anywhere else it seeks to the time under the pointer.
  const SNAP_PX = 3;
  const boundaries = starts.concat(D.truth ? D.truth.map((r) => r[0]) : []);
  function snap(p, x) {
    let best = null;
    for (const b of boundaries) if (Math.abs(p.x(b) - x) <= SNAP_PX && (best === null || Math.abs(p.x(b) - x) < Math.abs(p.x(best) - x))) best = b;
    if (best !== null) return best;
    const i = rowAt(p.t(x));  // the first instant of the frame under the pointer
    return i < 0 ? p.t(x) : rowTime(i);
  }

  // ---- the visible stretch of time: zoom and pan, shared by every panel ------------------
  const view = { t0: 0, t1: null };  // t1 null: the whole video
  const span = () => (view.t1 === null ? duration() : view.t1) - view.t0;
  const MIN_ROWS = 12;  // zoomed in at most to about this many frames across the panel
  function setView(t0, width) {
    const d = duration(), min = Math.min(d, MIN_ROWS / (R.rate || D.source_fps || 25));
    width = Math.min(d, Math.max(min, width));
    if (width >= d - 1e-9) { view.t0 = 0; view.t1 = null; }
    else { view.t0 = Math.min(Math.max(0, t0), d - width); view.t1 = view.t0 + width; }
    panels.forEach(draw);
    document.body.dataset.zoom = (d / span()).toFixed(3);
  }
  function zoom(factor, around) { // factor < 1 zooms in, keeping `around` under the pointer
    const width = span() * factor;
    setView(around - ((around - view.t0) / span()) * width, width);
  }
  function pan(dt) { setView(view.t0 + dt, span()); }
  function follow(t) { // keep the playhead in view while playing or stepping
    if (view.t1 !== null && (t < view.t0 || t > view.t1)) setView(t - span() * 0.1, span());
  }

  // ---- drawing: one SVG per panel, rows stacked, x = time -------------------------------
  const panels = [];
  function panel(host, rows) {
    const svg = el("svg", { role: "img" }, host);
    const p = { host, svg, rows, width: 0, height: 0 };
    p.x = (t) => GUTTER + ((t - view.t0) / span()) * (p.width - GUTTER - 4);
    p.t = (x) => view.t0 + ((x - GUTTER) / (p.width - GUTTER - 4)) * span();
    svg.addEventListener("click", (ev) => {
      const x = ev.clientX - svg.getBoundingClientRect().left;
      if (x >= GUTTER) seek(snap(p, x));
    });
    svg.addEventListener("wheel", (ev) => {
      const x = ev.clientX - svg.getBoundingClientRect().left;
      if (x < GUTTER) return;
      ev.preventDefault();
      if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) pan(((ev.deltaX || ev.deltaY) / (p.width - GUTTER)) * span());
      else zoom(Math.exp(ev.deltaY * 0.002), p.t(x));
    }, { passive: false });
    svg.addEventListener("mousemove", (ev) => hover(p, ev.clientX - svg.getBoundingClientRect().left));
    svg.addEventListener("mouseleave", () => hover(p, -1));
    panels.push(p);
    return p;
  }
  function draw(p) {
    p.width = p.host.clientWidth || 800;
    while (p.svg.firstChild) p.svg.removeChild(p.svg.firstChild);
    const clipId = "plot-" + panels.indexOf(p);
    const clip = el("clipPath", { id: clipId }, el("defs", {}, p.svg));
    el("rect", { x: GUTTER, y: 0, width: Math.max(0, p.width - GUTTER - 4), height: 10000 }, clip);
    let y = 2;
    for (const row of p.rows) {
      const g = el("g", { class: "row " + row.cls, transform: "translate(0," + y + ")" }, p.svg);
      el("text", { x: 4, y: row.h / 2 + 4 }, g).textContent = row.name;
      row.draw(el("g", { "clip-path": "url(#" + clipId + ")" }, g), p, row.h);
      if (row.after) row.after(g, p, row.h);  // outside the clip: values in the gutter
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
    const d = span(), approx = d / 8;
    const steps = [0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    const every = steps.find((s) => s >= approx) || 3600;
    const label = (t) => (every >= 1 ? fmt(t).replace(/\.\d+$/, "") : fmt(t));
    for (let t = Math.ceil(view.t0 / every - 1e-9) * every; t <= view.t0 + d + 1e-9; t += every) {
      el("line", { x1: p.x(t), x2: p.x(t), y1: y - 2, y2: y + 2, stroke: "#aaa" }, p.svg);
      if (p.x(t) + 48 < p.width) el("text", { x: p.x(t) + 2, y: y + 12 }, p.svg).textContent = label(t);
    }
  }
  function ribbon(runs, colorOf) { // runs: a list, or a function giving the current one
    return (g, p, h) => {
      const minW = 1.5; // px: a one-frame cut stays visible on a long video
      for (const r of typeof runs === "function" ? runs() : runs) {
        const x0 = p.x(r[0]), w = Math.max(minW, p.x(r[1]) - x0);
        el("rect", { x: x0, y: 0, width: w, height: h, fill: colorOf(r) }, g);
      }
    };
  }
  // A value range [lo, hi] maps to the row's height; every trace row first paints its backdrop,
  // so bands, markers and lines drawn after it stay visible.
  const yOf = (v, range, h) => h - ((v - range[0]) / (range[1] - range[0] || 1)) * h;
  function backdrop(g, p, h) {
    el("rect", { class: "backdrop", x: GUTTER, y: 0, width: p.width - GUTTER - 4, height: h, fill: "#f3f3f5" }, g);
  }
  function area(ts, vs, color, range, line) {
    range = range || [0, 1];
    return (g, p, h) => {
      if (!ts.length) return;
      const pts = [];
      for (let i = 0; i < ts.length; i++) pts.push(p.x(ts[i]).toFixed(1) + "," + yOf(vs[i], range, h).toFixed(1));
      const last = p.x(duration()).toFixed(1);
      pts.push(last + "," + yOf(vs[vs.length - 1], range, h).toFixed(1));
      if (!line) el("polygon", { points: p.x(ts[0]).toFixed(1) + "," + h + " " + pts.join(" ") + " " + last + "," + h, fill: color, "fill-opacity": 0.35 }, g);
      el("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.2 }, g);
    };
  }
  function band(ts, lo, hi, color, range) {
    return (g, p, h) => {
      if (!lo || !hi) return;
      const up = [], down = [];
      for (let i = 0; i < ts.length; i++) {
        up.push(p.x(ts[i]).toFixed(1) + "," + yOf(hi[i], range, h).toFixed(1));
        down.unshift(p.x(ts[i]).toFixed(1) + "," + yOf(lo[i], range, h).toFixed(1));
      }
      el("polygon", { class: "band", points: up.concat(down).join(" "), fill: color, "fill-opacity": 0.25 }, g);
    };
  }
  function yAxis(range, digits) { // the range's ends, written at the right of the row name
    return (g, p, h) => {
      const at = (v, y) => { el("text", { class: "yval", x: GUTTER - 3, y, "text-anchor": "end" }, g).textContent = v.toFixed(digits); };
      at(range[1], 9); at(range[0], h);
    };
  }
  function fitted(values, lo, hi) { // a padded range around the data, so a flat-looking gate shows its moves
    const all = [].concat(lo || values, hi || values);
    let a = Math.min(...all), b = Math.max(...all);
    const pad = Math.max(0.02, (b - a) * 0.1);
    return [Math.max(0, a - pad), b + pad];
  }
  function markers(times) { // times: a list, or a function giving the current one
    return (g, p, h) => { for (const t of typeof times === "function" ? times() : times) el("line", { class: "marker", x1: p.x(t), x2: p.x(t), y1: 0, y2: h, stroke: "#666", "stroke-opacity": 0.7, "stroke-dasharray": "3 2" }, g); };
  }
  function both(...fns) { return (g, p, h) => fns.forEach((f) => f(g, p, h)); }
  function threshold(v) {
    return (g, p, h) => el("line", { x1: GUTTER, x2: p.width - 4, y1: h - v * h, y2: h - v * h, stroke: "#b8860b", "stroke-dasharray": "4 3" }, g);
  }

  function timelineRows() {
    const color = (r) => D.colors[r[2]] || "#888";
    const rows = [{ name: "prediction", cls: "pred", h: 18, draw: ribbon(D.pred, color) }];
    if (editor) rows.push(...editor.rows());
    if (D.truth) rows.push({ name: "truth", cls: "truth", h: 18, draw: ribbon(D.truth, color) });
    if (editor) rows.push(editor.differs);
    else if (D.wrong) rows.push({ name: "differs", cls: "wrong", h: 6, draw: ribbon(D.wrong, () => "#d62728") });
    const T = D.trace;
    rows.push({ name: "confidence", cls: "conf", h: 34, draw: both(backdrop, area(T.t, T.conf, "#555"), threshold(D.threshold)) });
    const h = D.classes.length > 6 ? 16 : 24;
    D.classes.forEach((c, k) => rows.push({ name: "p(" + c + ")", cls: "prob", h, draw: both(backdrop, area(T.t, T.probs[k], D.colors[k])) }));
    return rows;
  }
  function gateRows() {
    const G = D.gates, trans = () => starts.slice(1);  // the edited segments once edited
    const names = [["forget", "#1f77b4"], ["input", "#2ca02c"], ["output", "#ff7f0e"]];
    const row = (name, key, color) => {
      const range = fitted(G[key], G[key + "_lo"], G[key + "_hi"]);
      return { name, cls: "gate", h: 36, draw: both(backdrop, band(G.t, G[key + "_lo"], G[key + "_hi"], color, range), markers(trans), area(G.t, G[key], color, range, true)), after: yAxis(range, 2) };
    };
    return names.map(([n, c]) => row(n, n, c)).concat([row("cell norm", "cell_norm", "#9467bd")]);
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
    readout(p.t(x), true, p.gates);
  }
  const out = document.getElementById("readout");
  function gateValues(t) { // "forget 0.93 · ..." of the bucket under t (the hover readout)
    const G = D.gates;
    let j = 0;
    while (j + 1 < G.t.length && G.t[j + 1] <= t) j++;
    return [["forget", "forget"], ["input", "input"], ["output", "output"], ["cell norm", "cell_norm"]]
      .map(([name, key]) => name + " " + G[key][j].toFixed(2)).join("  ");
  }
  function readout(t, hovering, overGates) {
    if (t === undefined) t = now();
    const i = runAt(D.pred, t), parts = [(hovering ? "at " : "") + fmt(t)];
    if (rowCount) parts.push("frame " + rowFrame(rowAt(t)));
    if (i >= 0) parts.push("segment " + (i + 1) + ": " + D.classes[D.pred[i][2]]);
    if (editor) parts.push(editor.readout(t));
    if (D.truth) { const j = runAt(D.truth, t); parts.push("truth: " + (j >= 0 ? D.classes[D.truth[j][2]] : "unlabeled")); }
    if (overGates && D.gates) parts.push(gateValues(t));
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
  const clockOut = document.getElementById("clock");
  function update() {
    if (video && !video.paused) follow(now());
    panels.forEach(placeHead); readout(); markCurrent();
    if (clockOut) clockOut.textContent = fmt(now()) + " / " + fmt(duration());
  }

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
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName)) return;
    if (editor && editor.onKey(ev)) { ev.preventDefault(); ev.stopPropagation(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (k === "n" || k === "ArrowRight") step(1);
    else if (k === "p" || k === "ArrowLeft") step(-1);
    else if (k === "." || k === ",") { if (video) video.pause(); stepFrame(k === "." ? 1 : -1); }
    else if (k === " " && video) togglePlay();
    else if (k === "+" || k === "=") zoom(0.5, now());
    else if (k === "-") zoom(2, now());
    else if (k === "0") setView(0, duration());
    else return;
    ev.preventDefault();
    ev.stopPropagation();
  }
  // ---- the player: own controls (the browser's would cover the burned-in ribbon) ------------
  function togglePlay() { if (video.paused) video.play().catch(() => {}); else video.pause(); }
  function wireControls() {
    const $ = (id) => document.getElementById(id);
    const play = $("play");
    const showState = () => { play.innerHTML = video.paused ? "&#9654;" : "&#10074;&#10074;"; };
    play.addEventListener("click", togglePlay);
    video.addEventListener("click", togglePlay);
    ["play", "pause", "ended"].forEach((e) => video.addEventListener(e, showState));
    document.querySelectorAll("#controls [data-frame]").forEach((b) => b.addEventListener("click", () => { video.pause(); stepFrame(+b.dataset.frame); }));
    $("rate").addEventListener("change", (ev) => { video.playbackRate = +ev.target.value; });
    const mute = $("mute");
    mute.addEventListener("click", () => { video.muted = !video.muted; mute.textContent = video.muted ? "sound off" : "sound on"; });
    $("zoom-in").addEventListener("click", () => zoom(0.5, now()));
    $("zoom-out").addEventListener("click", () => zoom(2, now()));
    $("zoom-all").addEventListener("click", () => setView(0, duration()));
    const track = video.addTextTrack("subtitles", "framelabel", "en");  // the cues of NAME.vtt
    if (window.VTTCue) for (const c of D.cues) track.addCue(new VTTCue(c[0], Math.max(c[1], c[0] + 1e-3), c[2]));
    track.mode = "hidden";
    $("subs").addEventListener("change", (ev) => { track.mode = ev.target.checked ? "showing" : "hidden"; });
  }
  // A video that cannot be loaded says so, tries the source recorded in segments.json, and
  // offers a local file (played from a blob: URL, which the page's policy allows).
  function wireMissingVideo() {
    const box = document.getElementById("missing"), playing = document.getElementById("playing");
    const tried = [video.getAttribute("src")];
    video.addEventListener("error", () => {
      if (D.fallback && !tried.includes(D.fallback)) {
        tried.push(D.fallback);
        video.src = D.fallback;
        if (playing) playing.textContent = decodeURIComponent(D.fallback.split("/").pop());
        return;
      }
      document.getElementById("missing-src").textContent = tried.map(decodeURIComponent).join(", then ");
      box.hidden = false;
      if (playing) playing.textContent = "no video loaded";
    });
    document.getElementById("pick-video").addEventListener("change", (ev) => {
      const file = ev.target.files[0];
      if (!file) return;
      video.src = URL.createObjectURL(file);
      box.hidden = true;
      if (playing) playing.textContent = file.name + " (chosen here)";
    });
  }
  function legend() {
    const host = document.getElementById("legend");
    if (!host) return;
    const chip = (color, text, cls) => '<span class="chip' + (cls ? " " + cls : "") + '"><i style="background:' + color + '"></i>' + text + "</span>";
    const esc = (t) => String(t).replace(/[&<>"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
    // numbered: the number keys relabel with these classes
    let html = D.classes.map((c, k) => chip(D.colors[k], (editor && k < 9 ? "<kbd>" + (k + 1) + "</kbd> " : "") + esc(c))).join(" ");
    if (D.wrong) html += " " + chip("#d62728", "differs from the truth");
    html += ' <span class="chip"><i class="dash"></i>low-confidence threshold ' + D.threshold + "</span>";
    host.innerHTML = html;
  }

  // The editor (edit.js) reaches the player and the panels through this.
  const app = {
    D, rowCount, rowAt, rowTime, rowFrame, now, seek, ribbon, both,
    setStarts(list) { starts = list; },
    redraw() { panels.forEach(draw); update(); },
  };
  let editor = null;

  function init() {
    if (typeof framelabelEditor === "function") editor = framelabelEditor(app);
    panel(document.getElementById("timeline"), timelineRows());
    const gatesHost = document.getElementById("gates");
    if (gatesHost && D.gates) panel(gatesHost, gateRows()).gates = true;
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
    legend();
    window.addEventListener("hashchange", followHash);
    if (video) {
      wireControls();
      wireMissingVideo();
      ["timeupdate", "seeked", "loadedmetadata"].forEach((e) => video.addEventListener(e, update));
      video.addEventListener("loadedmetadata", () => panels.forEach(draw));
      const tick = () => { update(); if (!video.paused) requestAnimationFrame(tick); };
      video.addEventListener("play", () => requestAnimationFrame(tick));
    }
    followHash();
    update();
    document.body.dataset.ready = "1";
  }
  init();
})();
