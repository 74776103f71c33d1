// Every figure's visible texts (title, axis titles, tick labels, colour bar, legend, panel titles):
// pairs that overlap by more than 2 px, and texts that run off the figure's sides. Tick labels of
// one axis are left to the app's label thinning; slanted labels have boxes that overlap by design.
// And empty space: under square cells (a heatmap whose width sets its height), at most a band of
// BAND px before the legend or colour bar under them (or the figure's end), and a figure's box on
// the page no taller than the figure. And headings: no word broken across lines.
(BAND) => {
  const shown = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentNode) {
      const style = getComputedStyle(e);
      if (style.display === "none" || style.visibility === "hidden" || style.opacity === "0") return false;
    }
    return el.getClientRects().length > 0;
  };
  const groups = {  // in this order: a colour bar's ticks are also an axis's ticks
    colorbar: ".colorbar text, .colorbar .cbfill",  // its labels and its bar
    title: ".gtitle, .gtitle-subtitle",
    xtitle: "[class^='g-x'][class$='title'] text",
    ytitle: "[class^='g-y'][class$='title'] text",
    xtick: ".xaxislayer-above .xtick text",
    ytick: ".yaxislayer-above .ytick text",
    legend: ".legend .legendtext",
    annotation: ".annotation text",
  };
  const problems = [];
  document.querySelectorAll(".js-plotly-plot").forEach((figure, f) => {
    const name = `figure ${f} (${(figure.querySelector(".gtitle")?.textContent ?? "").slice(0, 40)})`;
    const seen = new Set(), texts = [];
    for (const [group, selector] of Object.entries(groups)) {
      for (const el of figure.querySelectorAll(selector)) {
        if (seen.has(el) || !shown(el) || (group !== "colorbar" && !el.textContent.trim())) continue;
        seen.add(el);
        const slanted = /rotate\(-?[369]/.test(el.getAttribute("transform") || "");
        texts.push({group, el, slanted, box: el.getBoundingClientRect()});
      }
    }
    const same = new Set(["xtick", "ytick", "colorbar"]);
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i], b = texts[j];
        if ((a.group === b.group && same.has(a.group)) || a.slanted || b.slanted) continue;
        const w = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
        const h = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
        if (w > 2 && h > 2) problems.push(`${name}: ${a.group} "${a.el.textContent || "bar"}" on ${b.group} "${b.el.textContent || "bar"}"`);
      }
    }
    const edges = figure.getBoundingClientRect();
    for (const t of texts) {
      if (t.box.left < edges.left - 2 || t.box.right > edges.right + 2) problems.push(`${name}: ${t.group} "${t.el.textContent}" cut`);
    }
    // slanted tick labels of one axis (any panel's: x2, x3...) stand at least 0.8 of a line apart
    for (const axis of figure.querySelectorAll(".xaxislayer-above")) {
      const labels = [...axis.querySelectorAll("g > text")].filter((t) => shown(t) && /rotate/.test(t.getAttribute("transform") || ""));
      const size = parseFloat(labels[0]?.style.fontSize) || 12;
      const centres = labels.map((t) => t.getBoundingClientRect().left).sort((a, b) => a - b);  // where each starts
      const piled = centres.filter((c, k) => k > 0 && (c - centres[k - 1]) * Math.sin(Math.PI / 3) < 0.75 * size).length;
      if (piled) problems.push(`${name}: ${piled} slanted labels of an axis pile on their neighbours`);
    }
    const layout = figure._fullLayout;
    const square = Object.keys(layout).some((key) => /^yaxis\d*$/.test(key) && layout[key].scaleanchor);
    const cells = [...figure.querySelectorAll(".nsewdrag")].map((area) => area.getBoundingClientRect().bottom);
    if (square && cells.length) {
      const bottom = Math.max(...cells);
      const under = texts.filter((t) => ["legend", "colorbar"].includes(t.group) && t.box.top >= bottom - 1).map((t) => t.box.top);
      const next = Math.min(edges.bottom, ...under);
      if (next - bottom > BAND) problems.push(`${name}: ${Math.round(next - bottom)} px empty under the cells`);
      // the colour bar under one map of cells starts and ends under it (a legend beside it takes a
      // share of the width; panels side by side each have their own place)
      const areas = [...figure.querySelectorAll(".nsewdrag")].map((area) => area.getBoundingClientRect());
      const {left, right} = areas[0];
      const bar = figure.querySelector(".colorbar .cbfill")?.getBoundingClientRect();
      const barUnder = bar && bar.top >= bottom - 1;  // a projector's figure has its bar beside the cells
      if (areas.length === 1 && barUnder && bar.width > bar.height && !texts.some((t) => t.group === "legend")) {
        if (bar.left < left - 2) problems.push(`${name}: the colour bar starts ${Math.round(left - bar.left)} px left of the cells`);
        if (bar.right > right + 2) problems.push(`${name}: the colour bar runs ${Math.round(bar.right - right)} px past the cells`);
      }
    }
    // (a view of one head may say under its figure why it opens on that head: app/static/figure.js)
    const note = figure.parentElement.querySelector(":scope > .mask-lab-head-note");
    const said = note && shown(note) ? note.getBoundingClientRect().bottom - edges.bottom : 0;
    const box = figure.closest('[data-testid="stElementContainer"]').getBoundingClientRect();
    if (box.height > edges.height + said + 2) problems.push(`${name}: its place on the page is ${Math.round(box.height - edges.height)} px taller than the figure`);
  });
  // headings: no word broken across lines (a title set too large for the screen breaks mid-word)
  for (const heading of document.querySelectorAll("[data-testid='stMain'] :is(h1, h2, h3)")) {
    const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/[^\s-]+/g)) {  // a break after a hyphen is fine
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`heading "${heading.textContent.slice(0, 40)}": "${word[0]}" broken across lines`);
      }
    }
  }
  return problems;
}
