// framelabel report: fixing labels in the page, keyboard first. Edits are segments over track
// rows; they persist in localStorage (keyed by the video and its labelling) and download as
// NAME.corrected.csv, the segments CSV `framelabel fit` reads.
function framelabelEditor(app) {
  "use strict";
  const D = app.D, E = D.edit, n = app.rowCount;
  if (!E || !n || !window.localStorage) return null;
  const storeKey = "framelabel.corrections:" + D.name + ":" + E.key;
  const copy = (list) => list.map((s) => s.slice());
  const predicted = copy(E.segments);
  let state = { segs: copy(predicted), reviewed: [] };  // reviewed: sorted, disjoint [r0, r1)
  let sel = null;  // { a, b }: rows a..b inclusive, set with i / o
  const undos = [], redos = [];
  const status = document.getElementById("edit-status");
  const say = (text) => { status.textContent = text; };

  // ---- rows and segments ---------------------------------------------------------------
  const pts = (r) => (E.pts.rate ? E.pts.t0 + r / E.pts.rate : E.pts.t[r]);
  const rowNow = () => app.rowAt(app.now());
  function segAt(r) {
    const s = state.segs;
    let lo = 0, hi = s.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (s[mid][0] <= r) lo = mid; else hi = mid - 1; }
    return lo;
  }
  function perRow(segs) {
    const out = new Int16Array(n).fill(-1);
    for (const [a, b, k] of segs) out.fill(k, a, b);
    return out;
  }
  function runsOf(flags) { // [r0, r1) of each run of true
    const runs = [];
    for (let r = 0; r < n; r++) if (flags(r)) { const a = r; while (r + 1 < n && flags(r + 1)) r++; runs.push([a, r + 1]); }
    return runs;
  }
  function addReviewed(a, b) {
    const all = state.reviewed.concat([[a, b]]).sort((x, y) => x[0] - y[0]), out = [];
    for (const r of all) if (out.length && r[0] <= out[out.length - 1][1]) out[out.length - 1][1] = Math.max(out[out.length - 1][1], r[1]); else out.push(r.slice());
    state.reviewed = out;
  }
  function paint(a, b, k) { // rows [a, b) become one segment of class k
    const out = [];
    let placed = false;
    for (const [s0, s1, c] of state.segs) {
      if (s1 <= a || s0 >= b) { out.push([s0, s1, c]); continue; }
      if (s0 < a) out.push([s0, a, c]);
      if (!placed) { out.push([a, b, k]); placed = true; }
      if (s1 > b) out.push([b, s1, c]);
    }
    state.segs = out;
  }

  // ---- every edit: saved for undo, marks what it touched reviewed, persists, redraws -------
  function edit(describe, change) {
    const before = JSON.stringify(state);
    const touched = change();
    if (touched && touched.length) addReviewed(touched[0], touched[1]);
    if (!touched || (JSON.stringify(state) === before && !touched.always)) { state = JSON.parse(before); return; }
    undos.push(before); redos.length = 0;
    save(); refresh(); say(describe);
  }
  const current = () => { const i = segAt(rowNow()); return [i, state.segs[i]]; };
  const range = () => (sel ? [Math.min(sel.a, sel.b), Math.max(sel.a, sel.b) + 1] : null);
  const ACTIONS = {
    relabel(k) {
      if (k >= D.classes.length) return;
      edit("relabelled as " + D.classes[k], () => {
        const r = range();
        if (r) { paint(r[0], r[1], k); return r; }
        const [, s] = current(); s[2] = k; return [s[0], s[1]];
      });
    },
    split() {
      edit("split at frame " + app.rowFrame(rowNow()), () => {
        const r = rowNow(), [i, s] = current();
        if (s[0] === r) return null;
        state.segs.splice(i, 1, [s[0], r, s[2]], [r, s[1], s[2]]);
        return [s[0], s[1]];
      });
    },
    merge(dir) {
      edit("merged with the " + (dir > 0 ? "next" : "previous") + " segment", () => {
        const [i, s] = current(), j = i + dir;
        if (j < 0 || j >= state.segs.length) return null;
        const o = state.segs[j], merged = [Math.min(s[0], o[0]), Math.max(s[1], o[1]), s[2]];
        state.segs.splice(Math.min(i, j), 2, merged);
        return merged;
      });
    },
    move(dir) { // the boundary at the start of the segment under the playhead
      const [i, s] = current();
      if (i === 0) return;
      const prev = state.segs[i - 1], b = s[0] + dir;
      if (b <= prev[0] || b >= s[1]) return;
      edit("moved a boundary to frame " + app.rowFrame(b), () => { prev[1] = b; s[0] = b; return [prev[0], s[1]]; });
      app.seek(app.rowTime(b));
    },
    addCut() {
      if (E.cut === null || E.cut === undefined) { say("this model has no cut class"); return; }
      edit("added a cut at frame " + app.rowFrame(rowNow()), () => { const r = rowNow(); paint(r, r + 1, E.cut); return [r, r + 1]; });
    },
    remove() { // the segment joins its neighbours: a false cut between two shots disappears
      edit("removed a segment", () => {
        const [i, s] = current(), segs = state.segs;
        if (segs.length < 2) return null;
        const into = i > 0 ? i - 1 : i + 1, keep = segs[into];
        keep[0] = Math.min(keep[0], s[0]); keep[1] = Math.max(keep[1], s[1]);
        segs.splice(i, 1);
        const k = segs.indexOf(keep), next = segs[k + 1];
        if (next && next[2] === keep[2]) { keep[1] = next[1]; segs.splice(k + 1, 1); }
        return [keep[0], keep[1]];
      });
    },
    review() {
      edit("marked reviewed", () => { const r = range(); if (r) return r; const [, s] = current(); return [s[0], s[1]]; });
    },
    reviewAll() { edit("marked the whole video reviewed", () => [0, n]); },
    undo() { if (undos.length) { redos.push(JSON.stringify(state)); state = JSON.parse(undos.pop()); save(); refresh(); say("undone"); } },
    redo() { if (redos.length) { undos.push(JSON.stringify(state)); state = JSON.parse(redos.pop()); save(); refresh(); say("redone"); } },
    discard() {
      edit("discarded every correction (undo brings them back)", () => { state = { segs: copy(predicted), reviewed: [] }; return Object.assign([], { always: true }); });
      localStorage.removeItem(storeKey);
    },
    mark(end) { const r = rowNow(); sel = end === "in" || !sel ? { a: r, b: r } : { a: sel.a, b: r }; refresh(); say("selected frames " + selText()); },
    clear() { sel = null; refresh(); say("selection cleared"); },
    download() { download(); },
  };
  const selText = () => { const r = range(); return app.rowFrame(r[0]) + "-" + app.rowFrame(r[1] - 1); };

  // ---- persistence -----------------------------------------------------------------------
  function save() {
    const changed = JSON.stringify(state.segs) !== JSON.stringify(predicted) || state.reviewed.length;
    try {
      if (changed) localStorage.setItem(storeKey, JSON.stringify({ version: 1, segs: state.segs, reviewed: state.reviewed }));
      else localStorage.removeItem(storeKey);
    } catch (err) { say("could not save the corrections in this browser: " + err.message); }
  }
  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && saved.version === 1 && saved.segs.length && saved.segs[0][0] === 0 && saved.segs[saved.segs.length - 1][1] === n) {
        state = { segs: saved.segs, reviewed: saved.reviewed || [] };
        say("restored the corrections saved in this browser");
      }
    } catch (err) { /* unreadable: start from the prediction */ }
  }

  // ---- what the page shows: ribbons, the diff, the status --------------------------------
  const timeOf = (r) => (r >= n ? D.duration : app.rowTime(r));
  const asTimes = (runs) => runs.map((r) => [timeOf(r[0]), timeOf(r[1])].concat(r.slice(2)));
  const predRows = perRow(predicted);
  let truthRows = null;
  if (D.truth) {
    truthRows = new Int16Array(n).fill(-1);
    for (const [t0, t1, k] of D.truth) truthRows.fill(k, app.rowAt(t0), t1 >= D.duration - 1e-6 ? n : app.rowAt(t1));
  }
  const view = { edited: [], reviewed: [], differs: [], selection: [] };
  function diffText(rows) {
    const moves = {};
    let total = 0;
    for (let r = 0; r < n; r++) if (rows[r] !== predRows[r]) { total++; const key = D.classes[predRows[r]] + " \u2192 " + D.classes[rows[r]]; moves[key] = (moves[key] || 0) + 1; }
    if (!total) return "no frame differs from the prediction";
    return total + " frame" + (total === 1 ? "" : "s") + " changed: " + Object.entries(moves).map(([k, v]) => k + " " + v).join(", ");
  }
  function refresh() {
    const rows = perRow(state.segs), against = truthRows || predRows;
    view.edited = asTimes(state.segs);
    view.reviewed = asTimes(state.reviewed);
    view.differs = asTimes(runsOf((r) => against[r] !== -1 && rows[r] !== against[r]));
    view.selection = sel ? asTimes([range()]) : [];
    app.setStarts(view.edited.map((s) => s[0]));
    const reviewedRows = state.reviewed.reduce((a, r) => a + r[1] - r[0], 0);
    document.getElementById("edit-diff").textContent = diffText(rows) + " \u00b7 reviewed " + Math.round((100 * reviewedRows) / n) + "% of the frames";
    document.body.dataset.edits = String(undos.length);
    app.redraw();
  }

  // ---- NAME.corrected.csv ----------------------------------------------------------------
  function csvRows(onlyReviewed) {
    let segs = state.segs;
    if (onlyReviewed) {
      segs = [];
      for (const [a, b] of state.reviewed) for (const [s0, s1, k] of state.segs) if (s1 > a && s0 < b) segs.push([Math.max(s0, a), Math.min(s1, b), k]);
    }
    const frame = (r) => (r >= n ? E.end_frame : app.rowFrame(r)), secs = (r) => (r >= n ? E.end_s : pts(r));
    const lines = ["start_frame,end_frame,start_s,end_s,label"];
    for (const [a, b, k] of segs) lines.push([frame(a), frame(b), secs(a).toFixed(6), secs(b).toFixed(6), D.classes[k]].join(","));
    return lines.join("\n") + "\n";
  }
  function download() {
    const only = document.getElementById("edit-reviewed-only").checked;
    if (only && !state.reviewed.length) { say("nothing is marked reviewed yet: mark stretches with v, or untick \"reviewed stretches only\""); return; }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([csvRows(only)], { type: "text/csv" }));
    a.download = D.name + ".corrected.csv";
    document.body.appendChild(a); a.click(); a.remove();
    say("downloaded " + a.download + (only ? " (reviewed stretches only)" : "") + "; " + diffText(perRow(state.segs)));
  }

  // ---- keys and buttons -------------------------------------------------------------------
  const KEYS = { s: "split", m: ["merge", 1], M: ["merge", -1], "[": ["move", -1], "]": ["move", 1], c: "addCut", x: "remove", Delete: "remove", v: "review", i: ["mark", "in"], o: ["mark", "out"], Escape: "clear" };
  function run(name) { const [f, arg] = Array.isArray(name) ? name : [name]; ACTIONS[f](arg); }
  function onKey(ev) {
    const k = ev.key;
    if ((ev.ctrlKey || ev.metaKey) && (k === "z" || k === "Z" || k === "y")) { run(k === "z" ? "undo" : "redo"); return true; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
    if (/^[1-9]$/.test(k)) { ACTIONS.relabel(+k - 1); return true; }
    if (k === "u") { ACTIONS.undo(); return true; }
    if (k === "U") { ACTIONS.redo(); return true; }
    if (KEYS[k]) { run(KEYS[k]); return true; }
    return false;
  }
  document.querySelectorAll("#editor [data-action]").forEach((b) => b.addEventListener("click", () => run(JSON.parse(b.dataset.action))));
  load();
  refresh();
  return {
    onKey,
    rows: () => [
      { name: "edited", cls: "edited", h: 18, draw: app.both(app.ribbon(() => view.edited, (r) => D.colors[r[2]] || "#888"), app.ribbon(() => view.selection, () => "rgba(0,0,0,0.25)")) },
      { name: "reviewed", cls: "reviewed", h: 10, draw: app.ribbon(() => view.reviewed, () => "#2ca02c") },
    ],
    differs: { name: truthRows ? "differs" : "changed", cls: "wrong", h: 10, draw: app.ribbon(() => view.differs, () => "#d62728") },
    readout(t) {
      const r = app.rowAt(t), i = segAt(r), reviewed = state.reviewed.some((x) => r >= x[0] && r < x[1]);
      return "edited: " + D.classes[state.segs[i][2]] + (reviewed ? " (reviewed)" : "");
    },
    csv: csvRows,
  };
}
