// What the app adds to Streamlit's page, once per tab (app/streamlit_app.py injects it).

// plotly.js fetched while the server runs the page, not once its first figure arrives: the figure
// element (app/static/figure.js) draws with this script (its address: app/process.py)
if (window.maskLabPlotly && !document.getElementById("mask-lab-plotly")) {
  const script = document.createElement("script");
  script.id = "mask-lab-plotly";
  script.src = window.maskLabPlotly;
  document.head.appendChild(script);
}

// Back and Forward as a person expects them: one history entry per view they chose. Streamlit
// writes a control's new value with history.replaceState (Back would skip every view of a page);
// when a person follows a link to another page it first drops the old page's parameters from the
// URL (Back would land on that page at its defaults); and it pushes its own URL corrections. So: a
// same-page URL change during a person's event, or after they followed a link to the same page (a
// slide step), is a new entry; the drop on leaving is skipped; other server changes replace.
if (!window.maskLabViewHistory) {
  window.maskLabViewHistory = true;
  const push = history.pushState.bind(history), replace = history.replaceState.bind(history);
  const personEvents = ["click", "change", "input", "keydown", "keyup", "pointerup", "mouseup", "focusout", "blur"];
  const byPerson = () => window.event && window.event.isTrusted && personEvents.includes(window.event.type);
  const samePage = (url) => url != null && new URL(url, location.href).pathname === location.pathname;
  let leaving = false, following = false;  // the last link clicked goes to another page / to this page
  addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    leaving = !samePage(link.href);
    following = !leaving;
  }, true);
  history.replaceState = (state, unused, url) => {
    const newView = samePage(url) && new URL(url, location.href).search !== location.search;
    return (byPerson() && newView ? push : replace)(state, unused, url);
  };
  history.pushState = (state, unused, url) => {
    if (samePage(url) && !byPerson()) {
      if (leaving) return;
      const entry = following ? push : replace;
      following = false;
      return entry(state, unused, url);
    }
    leaving = following = false;
    return push(state, unused, url);
  };
}

// A presenter's clicker: PageDown / PageUp (and the arrow keys) step the slides, wherever the focus is
// but in a text box (a click on a head leaves the focus on its button, and the clicker must still
// work). On a slider the arrows move the slider.
if (!window.maskLabArrowKeys) {
  window.maskLabArrowKeys = true;
  const typing = (el) => {
    if (!el || !el.closest) return false;
    if (el.closest("textarea, [contenteditable=''], [contenteditable=true]")) return true;
    const input = el.closest("input");
    if (!input || /^(checkbox|radio|range|button|submit|reset)$/.test(input.type)) return false;
    return input.getAttribute("role") !== "combobox" || input.getAttribute("aria-expanded") === "true";
  };
  addEventListener("keydown", (event) => {
    const names = {ArrowRight: "Next", ArrowLeft: "Previous", PageDown: "Next", PageUp: "Previous"};
    const arrow = event.key.startsWith("Arrow");
    const slider = arrow && event.target.closest && event.target.closest("[role=slider]");
    if (!names[event.key] || typing(event.target) || slider || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const links = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPageLink-NavLink"]')];
    const target = links.find((a) => a.textContent.includes(names[event.key]));
    if (target) { event.preventDefault(); target.click(); }
  }, true);
}

// Presentation mode is a layout of its own (app/lecture/stage.py): when a run draws the other layout than the
// page was loaded with (the sidebar's toggle, Back over it), the page is loaded again, so that no
// control bound to the address bar is drawn in other blocks than the run before (see app/state.py).
// Only once the address bar says the layout drawn: a page that loads in it does not load again.
if (!window.maskLabLayout) {
  window.maskLabLayout = true;
  const app = document.querySelector('[data-testid="stApp"]');
  const linked = () => new URLSearchParams(location.search).get("present") === "true";
  const presenting = () => getComputedStyle(document.documentElement).getPropertyValue("--mask-lab-presenting").trim() === "1";
  const loaded = linked();
  const setsLayout = (node) => node.nodeType === 1
    && (node.matches("style") ? node : node.querySelector("style"))?.textContent.includes("--mask-lab-presenting");
  // at the run's end, and when the style that sets presentation mode is added after it (on a busy
  // machine it can reach the page later than the run's end)
  new MutationObserver((changes) => {
    if (!changes.some((change) => change.type === "attributes" || [...change.addedNodes].some(setsLayout))) return;
    if (app.getAttribute("data-test-script-state") !== "notRunning") return;
    if (presenting() !== loaded && presenting() === linked()) location.reload();
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"], childList: true, subtree: true});
}

// Escape closes a dialog even when the focus has left it: after a download the browser may put the
// focus on the page's body, where the dialog's own handler does not hear the key.
if (!window.maskLabEscape) {
  window.maskLabEscape = true;
  addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || (event.target.closest && event.target.closest('[role="dialog"]'))) return;
    document.querySelector('[role="dialog"] button[aria-label="Close"]')?.click();
  });
}

// Figures fit the screen they are on, as a chart library would do it: where tick labels of an axis
// overlap (a phone, a long sentence), every other one is hidden until none do; a title wider than its
// figure is set smaller until it fits. Run after every Plotly draw and resize.
if (!window.maskLabFit) {
  window.maskLabFit = true;
  // slanted labels (keys, at -60 degrees) are parallel strokes: they collide when their distance
  // across the slant is under a capital letter's height (0.73 of the size in Inter and Arial), not when
  // their upright boxes touch (measured from where each starts, at its tick: a long label's box
  // reaches further right than a short one's)
  // (and upright labels one under another, when their letters would touch: a text's box holds a fifth of
  // its size of empty line above and below)
  const collide = (a, b, vertical, slanted, size) =>
    vertical ? b.top < a.bottom - 0.2 * size
      : slanted ? (b.left - a.left) * Math.sin(Math.PI / 3) < 0.75 * size
      : b.left < a.right - 1;
  // a bold label (the row a figure is about) always stays; the ones it would touch give way
  const thin = (labels, vertical) => {
    if (!labels.length) return 0;
    const slanted = /rotate/.test(labels[0].getAttribute("transform") || "");
    const size = parseFloat(labels[0].style.fontSize) || 12;
    const bold = labels.filter((label) => label.querySelector('[style*="bold"]'));
    const order = (a, b) => (vertical ? a.top - b.top : a.left - b.left);
    const touches = (a, b) => (order(a, b) > 0 ? collide(b, a, vertical, slanted, size) : collide(a, b, vertical, slanted, size));
    for (let step = 1; step < labels.length; step *= 2) {
      labels.forEach((label, k) => (label.style.display = k % step === 0 ? "" : "none"));
      const boxes = labels.filter((label, k) => k % step === 0).map((label) => label.getBoundingClientRect()).sort(order);
      if (!boxes.some((box, k) => k > 0 && collide(boxes[k - 1], box, vertical, slanted, size))) break;
    }
    for (const keep of bold) {
      keep.style.display = "";
      const box = keep.getBoundingClientRect();
      for (const label of labels) {
        if (label !== keep && label.style.display !== "none" && touches(box, label.getBoundingClientRect())) label.style.display = "none";
      }
    }
    return labels.filter((label) => label.style.display !== "none").length;
  };
  // The figure a view is about, on a projector, says when its labels thinned: how many of each
  // axis's labels it shows (the rest are a hover away)
  const sayThinned = (figure, counts) => {
    let note = figure.querySelector(":scope > .mask-lab-thinned");
    const thinned = counts.filter(([, shown, all]) => shown < all);
    if (!figure.layout?.meta?.fill || innerWidth <= 640 || !thinned.length) return note?.remove();
    if (!note) {
      note = document.createElement("div");
      note.className = "mask-lab-thinned";
      note.style.cssText = "position:absolute;z-index:1;font-size:16px;pointer-events:none";
      figure.appendChild(note);
    }
    // under the figure's title, in its colour (a dark page's too)
    const title = figure.querySelector(".gtitle"), box = figure.getBoundingClientRect();
    const under = title ? title.getBoundingClientRect() : box;
    note.style.top = Math.round((title ? under.bottom : box.top) - box.top + 2) + "px";
    note.style.left = Math.round(under.left - box.left) + "px";
    note.style.color = title ? getComputedStyle(title).fill : "";
    const said = [...new Set(thinned.map(([name, shown, all]) => `${shown} of ${all} ${name}`))];  // panels: once
    note.textContent = said.join(", ") + " shown (hover a cell for its tokens)";
  };
  const fit = (figure) => {
    const counts = [];
    for (const axis of figure.querySelectorAll(".xaxislayer-above, .yaxislayer-above")) {
      // every panel's axis: Plotly names their ticks xtick, x2tick, x3tick...
      const labels = [...axis.querySelectorAll("g > text")], upright = axis.classList.contains("yaxislayer-above");
      counts.push([upright ? "query labels" : "key labels", thin(labels, upright), labels.length]);
    }
    sayThinned(figure, counts);
    // a label written on a head's map in the grid (its role) shows only where the map is wider than it
    const cellNotes = new Set();
    const axis = figure._fullLayout.xaxis;
    (figure.layout.annotations || []).forEach((note, k) => {
      const cells = /^cell note:(\d+)$/.exec(note.name || "");
      const text = figure.querySelector(`.annotation[data-index="${k}"] .annotation-text`);
      if (!cells || !text || !axis?._length) return;
      cellNotes.add(text);
      const width = (cells[1] * axis._length) / Math.abs(axis.range[1] - axis.range[0]);
      text.closest(".annotation").style.display = text.getBoundingClientRect().width > width ? "none" : "";
    });
    // panel titles side by side (the pipeline's four), and row titles down the side (a grid of
    // many layers), get smaller together until no two touch
    const notes = [...figure.querySelectorAll(".annotation-text")].filter((t) => !cellNotes.has(t));
    for (const upright of [true, false]) {
      const group = notes.filter((t) => /rotate/.test(t.getAttribute("transform") || "") !== upright);
      const touch = (a, b) => a.left < b.right + 4 && b.left < a.right + 4 && a.top < b.bottom + 4 && b.top < a.bottom + 4;
      const touching = () => {
        const boxes = group.map((t) => t.getBoundingClientRect());
        return boxes.some((a, i) => boxes.some((b, j) => j > i && touch(a, b)));
      };
      for (let size = parseFloat(group[0]?.style.fontSize); size > 9; size *= 0.9) {
        if (!touching()) break;
        group.forEach((t) => (t.style.fontSize = size * 0.9 + "px"));
      }
      // still touching at the smallest size (12 heads on a phone): every other one, as tick labels
      if (touching()) thin(group, !upright);
    }
    // from where the title starts to the right edge, less the modebar's strip where it is shown
    const right = figure.getBoundingClientRect().right - (innerWidth > 640 ? 48 : 8);
    for (const title of figure.querySelectorAll(".gtitle, .gtitle-subtitle")) {
      const size = parseFloat(title.style.fontSize);
      const box = title.getBoundingClientRect();
      const room = right - box.left;
      if (box.width > room && size > 11) title.style.fontSize = Math.max(11, (size * room) / box.width) + "px";
    }
  };
  // Square cells on a narrow screen are limited by the width: the rows of cells are shorter than the
  // figure's height leaves them, and the gap would sit between the cells and the legend. The figure
  // gets shorter by the height no row needs (each row keeps its share of the plot area).
  const hug = (figure) => {
    const layout = figure._fullLayout;
    if (!layout?._size) return;
    const rows = Object.keys(layout).filter((name) => /^yaxis\d*$/.test(name) && layout[name].scaleanchor)
      .map((name) => layout[name]).filter((axis) => axis._inputDomain && axis._length);
    const spare = rows.length && Math.min(...rows.map((axis) => layout._size.h - axis._length / (axis._inputDomain[1] - axis._inputDomain[0])));
    const height = spare > 8 ? Math.round(layout.height - spare) : layout.height;
    // Streamlit sized the chart's box, its frame and its place on the page for the height it sent:
    // they follow the figure (not a frame shown full screen, which Streamlit sizes to the window)
    const box = figure.closest('[data-testid="stPlotlyChart"]');
    const frame = box?.closest('[data-testid="stFullScreenFrame"]');
    const place = frame?.closest('[data-testid="stElementContainer"]');
    if (box) box.style.height = height + "px";
    if (frame) frame.style.height = getComputedStyle(frame).position === "fixed" ? "" : height + "px";
    if (place) place.style.flexBasis = height + "px";  // its height in the page's column of elements
    figure.maskLabFitted = height === layout.height;  // else once more, after this relayout's draw
    if (!figure.maskLabFitted) Plotly.relayout(figure, {height});
  };
  // On a phone a legend beside the colour bar under the cells may not fit the width: Plotly would widen
  // the right margin for it and narrow every cell (and hide half the labels). It goes under the colour
  // bar, at the figure's foot, and the figure grows by its height.
  const legendUnder = (figure) => {
    const layout = figure._fullLayout, legend = figure.layout.legend, sent = figure.layout.margin || {};
    if (innerWidth > 640 || !layout?._size || !legend || legend.yref === "container") return false;
    const box = figure.querySelector(".legend")?.getBoundingClientRect();
    const plotRight = figure.getBoundingClientRect().left + layout._size.l + layout._size.w;
    if (!box?.height || layout._size.r <= (sent.r ?? 80) + 0.5 || box.right <= plotRight + 1) return false;
    const room = Math.ceil(box.height) + 4;
    figure.maskLabFitted = false;  // once more, after this relayout's draw
    Plotly.relayout(figure, {
      "legend.x": 0, "legend.xanchor": "left", "legend.yref": "container", "legend.y": 0, "legend.yanchor": "bottom",
      "margin.b": (sent.b ?? 80) + room, height: figure.layout.height + room,
    });
    return true;
  };
  // A presentation link opened on a phone: projector-sized text would bury the cells. The figure
  // carries the sizes it had for a desk (app/figures/projector.py, desk_sizes) and takes them back.
  const deskOnPhone = (figure) => {
    const desk = figure.layout?.meta?.desk;
    if (!desk || innerWidth > 640 || (figure.layout.font?.size ?? null) === desk["font.size"]) return false;
    figure.maskLabFitted = false;  // once more, after this relayout's draw
    // colour bars a projector moved beside the cells go back too, in the same draw (a draw of its own
    // would come back here, the sizes still a projector's, and again)
    const bars = figure.layout.meta.desk_bars;
    Plotly.update(figure, bars ? bars.restyle : {}, desk, bars ? bars.indices : undefined);
    return true;
  };
  // On a projector the figure a view is about fills the stage: from where its column starts to the
  // bottom of the window. The server sent it at a height marked in its meta (it cannot know the screen's).
  const fill = (figure) => {
    const sent = figure.layout?.meta?.fill;
    if (!sent || innerWidth <= 640 || figure.layout.height !== sent) return false;
    const top = (figure.closest('[data-testid="stColumn"]') || figure).getBoundingClientRect().top + scrollY;
    const height = Math.max(300, Math.floor(innerHeight - top - 16));
    if (height === sent) return false;
    figure.maskLabFitted = false;  // once more, after this relayout's draw
    Plotly.relayout(figure, {height});
    return true;
  };
  const settle = (figure) => {
    if (deskOnPhone(figure) || fill(figure) || legendUnder(figure)) return;
    fit(figure);
    hug(figure);
  };
  // The figure element (app/static/figure.js) calls this once each draw of a figure is complete: a
  // figure is fitted after every draw of its own too (Plotly's afterplot), and on a window's resize.
  window.maskLabFigureDrawn = (figure) => {
    if (!figure.maskLabFit) {
      figure.maskLabFit = true;
      figure.on("plotly_afterplot", () => settle(figure));
    }
    settle(figure);
  };
  // On a phone the grid takes the whole width and Plotly's modebar would sit on its last column:
  // hidden there (a touch screen zooms with two fingers; the figure's fullscreen button stays).
  // A table's toolbar (search, download, full screen) shows 44 px above it, over the text before it
  // on a touch or a hover: the table keeps that room (1 rem is already the gap between elements).
  const style = document.createElement("style");
  // Pills in a column scroll sideways by default: 12 heads on a projector would hide the last ones.
  // A Markdown table wider than a phone scrolls by itself, not the whole page under the reader's thumb.
  style.textContent = `@media (max-width: 640px) { .js-plotly-plot .modebar-container { display: none; }
      [data-testid="stMarkdownContainer"] table { display: block; max-width: 100%; overflow-x: auto; } }
    [data-testid="stButtonGroup"] [role="radiogroup"] { flex-wrap: wrap; }
    [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] > [data-testid="stDataFrame"]) { margin-top: 1.75rem; }`;
  document.head.appendChild(style);
}
