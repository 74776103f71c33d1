// The figure element (app/figure_element.py): Plotly figures drawn by plotly.js's cartesian bundle,
// which the browser fetches once from this folder and keeps in its cache; and, for the views of one
// attention head, the Layer and Head pickers, which switch heads here, without the server.
const here = new URL(".", import.meta.url);
let plotly;

// the script app/browser.js started fetching when the page started, else one of our own
function loadPlotly(file) {
  plotly ??= window.Plotly
    ? Promise.resolve(window.Plotly)
    : new Promise((loaded, failed) => {
        let script = document.getElementById("mask-lab-plotly");
        if (!script) {
          script = document.createElement("script");
          script.id = "mask-lab-plotly";
          script.src = new URL(file, here).href;
          document.head.appendChild(script);
        }
        script.addEventListener("load", () => loaded(window.Plotly));
        script.addEventListener("error", () => failed(new Error(`${script.src} did not load`)));
      });
  return plotly;
}

// The Layer and Head pickers in the page's own text colour (light and dark themes) and sizes (rem:
// presentation mode's larger root carries them)
if (!document.querySelector("style[data-mask-lab-figure]")) {
  const style = document.createElement("style");
  style.dataset.maskLabFigure = "";
  style.textContent = `
.mask-lab-heads { display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; font-family: inherit; }
.mask-lab-pick { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.mask-lab-pick > p { flex-basis: 100%; margin: 0; font-size: 0.875rem; }
.mask-lab-pick > button {
  min-width: 2.5rem; min-height: 2rem; padding: 0.25rem 0.75rem; border-radius: 999px;
  border: 1px solid rgba(128, 128, 128, 0.45); background: transparent; color: inherit;
  font: inherit; font-size: 0.875rem; cursor: pointer;
}
.mask-lab-pick > button:hover { border-color: currentColor; }
.mask-lab-pick > button[aria-checked="true"] {
  border-color: currentColor; background: rgba(128, 128, 128, 0.2); font-weight: 700;
}
.mask-lab-head-note { flex-basis: 100%; margin: 0.25rem 0 0; font-size: 0.875rem; opacity: 0.7; }
.mask-lab-head-note:empty { display: none; }`;
  document.head.appendChild(style);
}

// ---- the head a page shows: in the address bar (`layer`, `head`), else the view's opening head ----
// A view of one head is sent with every head's changes from the head drawn (`heads.frames`), or, past
// the payload a view may send, with `heads.roundTrip`: the server draws each head (a rerun).

const views = new Set();  // {div, heads}: figures of one head on the page
const pickers = new Set();  // {root, heads}: Layer / Head pickers on the page

function headIn(heads, search = location.search) {
  const query = new URLSearchParams(search);
  const read = (name, count, fallback) => {
    const text = query.get(name);
    return text !== null && /^\d+$/.test(text) && Number(text) < count ? Number(text) : fallback;
  };
  return [read("layer", heads.layers, heads.opening[0]), read("head", heads.heads, heads.opening[1])];
}

// The address of the page with this head: a value at the opening head is left out, as the server's
// links leave out every control at its default.
function addressWith(heads, [layer, head]) {
  const query = new URLSearchParams(location.search);
  for (const [name, value, opening] of [["layer", layer, heads.opening[0]], ["head", head, heads.opening[1]]]) {
    if (value === opening) query.delete(name);
    else query.set(name, String(value));
  }
  const text = query.toString();
  return location.pathname + (text ? "?" + text : "") + location.hash;
}

// A person picked a head: a new entry in the history (Back returns to the head before), every view
// and picker of the page redrawn. Without frames the server draws it: Streamlit reruns the page as
// for Back / Forward, with the address just written. The entry is pushed by History's own method:
// app/browser.js tells a person's change from Streamlit's by the event being handled, and Plotly
// hands a click on the grid on as an event of its own making, which would pass for Streamlit's.
function pick(heads, chosen) {
  if (headIn(heads).join() === chosen.join()) return;
  History.prototype.pushState.call(history, history.state, "", addressWith(heads, chosen));
  if (heads.roundTrip) dispatchEvent(new PopStateEvent("popstate", { state: history.state }));
  else redrawAll();
}

function redrawAll() {
  for (const view of views) if (view.div.isConnected) showHead(view); else views.delete(view);
  for (const picker of pickers) if (picker.root.isConnected) markPicked(picker); else pickers.delete(picker);
}

addEventListener("popstate", redrawAll);  // Back / Forward between heads: redrawn at once

// a sentence under the figure while its head is shown (why the view opens on it)
function noteHead(view) {
  let note = view.div.parentElement.querySelector(":scope > .mask-lab-head-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "mask-lab-head-note";
    view.div.after(note);
  }
  note.textContent = view.notes[headIn(view.heads).join()] || "";
}

function showHead(view) {
  const { div, heads } = view;
  noteHead(view);
  if (heads.roundTrip) return;
  const key = headIn(heads).join();
  if (key === view.drawn) return;
  const frame = heads.frames[key];
  view.drawn = key;
  // (fitted to the screen again after the draw: app/browser.js listens to Plotly's afterplot)
  if (frame.figure) return window.Plotly.react(div, frame.figure.data, frame.figure.layout, view.config);
  if (valuesOnly(div, frame)) return drawValues(div, frame);
  // else the keys every head changes (weights, colour ranges, titles), in place: the layout the page
  // fitted to the screen stays, and the figure is drawn once
  return window.Plotly.update(div, frame.data, frame.layout, frame.traces);
}

// A head of most views changes only its heatmaps' values and hover text, and its title. For new
// values Plotly.update draws the whole figure again (axes, colour bar, legend, every layer: most of
// a head change, 30-50 ms at any size), though only the heatmap's image changes. So such a frame is
// drawn as that update draws its heatmaps, and nothing else: the values go into the figure's data
// where Plotly.update puts them, Plotly.relayout sets the title (and makes Plotly's full traces from
// the data), then Plotly's own heatmap code calculates and draws each heatmap. A frame that changes
// anything else (a colour range: its colour bar too) goes through Plotly.update. (Plotly's private
// parts used here are the pinned bundle's: tests/browser/test_heads_in_browser.py checks that a head
// picked is drawn and hovered as the page opened on it draws it.)
const HEATMAP_VALUES = new Set(["z", "text"]);  // read by the heatmap's calculation and draw only
const TITLE = /^(.+\.)?title\.text$/;  // a relayout that restyles, not draws the figure again

function valuesOnly(div, frame) {
  const heatmap = (trace) => trace?.visible === true && trace._module?.name === "heatmap";
  const layout = Object.keys(frame.layout);  // never empty: a view's title names its head
  return Boolean(div.calcdata) && layout.length > 0 && layout.every((path) => TITLE.test(path))
    && Object.keys(frame.data).every((key) => HEATMAP_VALUES.has(key))
    && frame.traces.every((t) => heatmap(div._fullData[t]));
}

function drawValues(div, frame) {
  frame.traces.forEach((t, k) => {
    for (const [key, values] of Object.entries(frame.data)) div.data[t][key] = values[k];
  });
  window.Plotly.relayout(div, frame.layout);
  // as Plotly's own calculation does: its heatmaps' lightness is summed again as they are drawn (the
  // zoom box's colour), and a subplot's heatmaps are drawn together, in one layer
  div._hmpixcount = div._hmlumcount = 0;
  const subplots = new Map();
  div._fullData.forEach((trace, t) => {
    if (trace._module?.name !== "heatmap" || trace.visible !== true) return;
    if (frame.traces.includes(t)) {
      const calculated = trace._module.calc(div, trace);
      calculated[0].t ??= {};
      calculated[0].trace = trace;
      div.calcdata[t] = calculated;
    }
    const id = trace.xaxis + trace.yaxis;
    subplots.set(id, [...(subplots.get(id) || []), div.calcdata[t]]);
  });
  for (const [id, calculated] of subplots) {
    const subplot = div._fullLayout._plots[id];
    calculated[0][0].trace._module.plot(div, subplot, calculated, subplot.plot.select(".heatmaplayer"));
  }
  // a hover label shown (a head picked from the keyboard) is made again from the new values, as
  // Plotly.update does (the relayout made it before they were calculated)
  div._fullLayout._rehover?.();
}

// ---- drawing ----

// `data`: the bytes of {"settings": {...}, "figure": {data, layout}, "heads"?: ...} (JSON, arrays as
// Plotly's typed arrays), of {"settings": {...}, "picker": heads}, or of {"address": true}. Called
// again when a run sends other bytes: the same div is drawn again (Plotly.react), not made anew.
// The element's state is on its place in the page (`data-mask-lab-state`: drawing, drawn), for tests
// and benchmarks that wait for the page to be drawn.
export async function draw({ data, parentElement, setTriggerValue }) {
  parentElement.dataset.maskLabState = "drawing";
  await drawSent(JSON.parse(new TextDecoder().decode(data)), parentElement, setTriggerValue);
  parentElement.dataset.maskLabState = "drawn";
}

async function drawSent(sent, parentElement, setTriggerValue) {
  if (sent.address) return setTriggerValue("address", location.search);  // asked by the share dialog
  if (sent.picker) return drawPicker(parentElement, sent.picker, sent.settings);
  const Plotly = await loadPlotly(sent.settings.plotly);
  let div = parentElement.querySelector(":scope > .mask-lab-figure");
  if (!div) {
    div = document.createElement("div");
    div.className = "mask-lab-figure";
    parentElement.appendChild(div);
  }
  div.setAttribute("role", "img");
  div.setAttribute("aria-label", sent.settings.alt);
  const { heads } = sent, { grid } = sent.settings;
  for (const view of views) if (view.div === div) views.delete(view);
  await Plotly.react(div, sent.figure.data, sent.figure.layout, sent.settings.config);
  window.maskLabFigureDrawn?.(div);  // fitted to the screen (app/browser.js)
  if (heads) {
    const view = { div, heads, config: sent.settings.config, drawn: heads.drawn.join(), notes: sent.settings.notes || {} };
    views.add(view);
    await showHead(view);  // the address may name another head than the server drew (a rerun from elsewhere)
  }
  if (grid && !div.maskLabPicks) {
    // a click on a head's map in the grid of every head picks it: the maps are one heatmap, each
    // `rows` x `cols` cells with `gap` cells between them (app/figures/weights.py, grid_maps)
    div.maskLabPicks = true;
    // Plotly hands a click on as an event of its own making, and one that ends a tap on a phone has no
    // place (made from the touch's end): the place is where the pointer went down
    div.addEventListener("pointerdown", (event) => { div.maskLabPointer = [event.clientX, event.clientY]; }, true);
    div.addEventListener("click", () => {
      const about = div.maskLabGrid, { xaxis, yaxis } = div._fullLayout, box = div.getBoundingClientRect();
      if (!about || !xaxis?.p2d || !div.maskLabPointer) return;
      const [rows, cols, gap] = about.maps, [clientX, clientY] = div.maskLabPointer;
      const x = xaxis.p2d(clientX - box.left - xaxis._offset) + 0.5;
      const y = yaxis.p2d(clientY - box.top - yaxis._offset) + 0.5;
      const head = Math.floor(x / (cols + gap)), layer = Math.floor(y / (rows + gap));
      const onMap = x - head * (cols + gap) < cols && y - layer * (rows + gap) < rows;
      // a grid of a range of layers (a deep model's) starts at layer `first` and shows `shown` of them
      const first = about.first || 0, shown = about.shown ?? about.layers;
      if (onMap && head >= 0 && head < about.heads && layer >= 0 && layer < shown) pick(about, [first + layer, head]);
    });
  }
  div.maskLabGrid = grid;
  for (const picker of pickers) markPicked(picker);  // a run may have drawn another head (a slide step)
}

function drawPicker(parentElement, heads, settings) {
  let root = parentElement.querySelector(":scope > .mask-lab-heads");
  if (!root) {
    root = document.createElement("div");
    root.className = "mask-lab-heads";
    parentElement.appendChild(root);
  }
  root.replaceChildren();
  for (const [name, count, at] of [["Layer", heads.layers, 0], ["Head", heads.heads, 1]]) {
    const group = document.createElement("div");
    group.className = "mask-lab-pick";
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", name);
    const label = document.createElement("p");
    label.textContent = name;
    group.appendChild(label);
    for (let k = 0; k < count; k++) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(k);
      button.setAttribute("role", "radio");
      button.dataset.at = String(at);
      button.dataset.value = String(k);
      button.title = `${name.toLowerCase()} ${k}`;
      button.addEventListener("click", () => {
        const chosen = headIn(heads);
        chosen[at] = k;
        pick(heads, chosen);
      });
      group.appendChild(button);
    }
    root.appendChild(group);
  }
  const note = document.createElement("p");
  note.className = "mask-lab-head-note";
  root.appendChild(note);
  for (const picker of pickers) if (picker.root === root) pickers.delete(picker);
  const picker = { root, heads, notes: settings.notes || {} };
  pickers.add(picker);
  markPicked(picker);
}

function markPicked({ root, heads, notes }) {
  const chosen = headIn(heads);
  for (const button of root.querySelectorAll("button")) {
    const on = chosen[Number(button.dataset.at)] === Number(button.dataset.value);
    button.setAttribute("aria-checked", String(on));
  }
  root.querySelector(".mask-lab-head-note").textContent = notes[chosen.join()] || "";
}
