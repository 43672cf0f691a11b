// The IVR flow drawn as SVG beside its form (plain SVG DOM, laid out here): one box per node
// in layers from the start node (ivr-model.js layers(): longest path, back branches set
// aside), one line per pair of nodes labelled with its branches (the keys, the case,
// open/closed…), a line that crosses layers passing through a slot of its own in each, a
// branch back up drawn the same way with its arrow at the upper end. A node the API refused
// is outlined red with the message under it; a node start does not reach is dashed; a
// branch to an id that is no node ends at a dashed "missing" box. A box is a button: Enter,
// Space or a click asks the form to show that node.
import { layers, shortType, summary } from './ivr-model.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 168;
const H = 54;
const HGAP = 28;
const VGAP = 78;
const PAD = 28;
const LOOP = 60; // room on the right for a node's branch to itself
const DW = 14; // the slot of an edge's waypoint in a layer it crosses

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clip = (t, n) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

function wrap(text, width, maxLines) {
  const words = text.split(/\s+/).filter(Boolean);
  const lines = [];
  let line = '';
  for (const w of words) {
    if (line && (line + ' ' + w).length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = clip(`${lines[maxLines - 1]} …`, width + 1);
  }
  return lines;
}

// A point of the cubic Bézier p0..p3 at t.
function bez(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return [0, 1].map((k) => u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * p3[k]);
}

/**
 * Draws graph ({start, nodes}) into the <svg> svg.
 * opts.errors: Map node index -> message; opts.names: id -> display name of targets;
 * opts.onPick(index): a box was chosen.
 */
export function drawGraph(svg, graph, { errors = new Map(), names = {}, onPick } = {}) {
  const { layers: found, reached, edges } = layers(graph);
  const indexOf = new Map();
  const dups = [];
  graph.nodes.forEach((n, i) => {
    if (!indexOf.has(n.id)) indexOf.set(n.id, i);
    else dups.push(`\u0002${i}`); // a second node of one id: a box of its own, in a last row
  });
  const rows = dups.length ? [...found, dups] : found;
  const wide = (key) => (key.startsWith('\u0003') ? DW : W);
  const rowWidth = (row) => row.reduce((sum, k) => sum + wide(k), 0) + Math.max(0, row.length - 1) * HGAP;
  const widest = Math.max(W, ...rows.map(rowWidth));
  const width = PAD * 2 + widest + LOOP;
  const height = PAD * 2 + Math.max(1, rows.length) * (H + VGAP) - VGAP + 56;
  const pos = new Map();
  rows.forEach((row, L) => {
    let x = PAD + (widest - rowWidth(row)) / 2;
    for (const key of row) {
      pos.set(key, { x, y: PAD + 14 + L * (H + VGAP), L, w: wide(key) });
      x += wide(key) + HGAP;
    }
  });

  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const defs = s('defs');
  for (const [id, cls] of [['arrow', 'gedge__head'], ['arrow-bad', 'gedge__head gedge__head--bad']]) {
    const m = s('marker', { id: `ivr-${id}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    m.append(s('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.append(m);
  }
  svg.append(defs);

  if (!graph.nodes.length) {
    svg.append(s('text', { x: PAD, y: PAD + 20, class: 'gempty' }, 'No nodes yet: add the first one in the form.'));
    return;
  }

  const gEdges = s('g', { class: 'gedges' });
  const gLabels = s('g', { class: 'glabels' });
  const gBoxes = s('g', { class: 'gnodes' });
  svg.append(gEdges, gBoxes, gLabels); // labels over the boxes: a label is never hidden

  const st = pos.get(graph.start);
  if (st) {
    gEdges.append(s('path', { d: `M${st.x + W / 2},${st.y - 22} L${st.x + W / 2},${st.y}`, class: 'gedge gedge--start', 'marker-end': 'url(#ivr-arrow)' }));
    gLabels.append(s('text', { x: st.x + W / 2 + 6, y: st.y - 12, class: 'glabel' }, 'start'));
  }

  // ports: where each edge leaves the bottom of its upper end and enters the top of its
  // lower end, spread along the box in the order of where the edge goes
  const centre = (key) => pos.get(key).x + pos.get(key).w / 2;
  const bottoms = new Map();
  const tops = new Map();
  const drawn = edges.filter((e) => pos.has(e.upper) && pos.has(e.lower) && !e.self && pos.get(e.upper).L < pos.get(e.lower).L);
  for (const e of drawn) {
    const first = e.chain.length ? e.chain[0] : e.lower;
    const last = e.chain.length ? e.chain[e.chain.length - 1] : e.upper;
    if (!bottoms.has(e.upper)) bottoms.set(e.upper, []);
    if (!tops.has(e.lower)) tops.set(e.lower, []);
    bottoms.get(e.upper).push([centre(first), e]);
    tops.get(e.lower).push([centre(last), e]);
  }
  const ports = new Map();
  for (const [which, map] of [['out', bottoms], ['in', tops]]) {
    for (const [key, list] of map) {
      list.sort((a, b) => a[0] - b[0]);
      const p = pos.get(key);
      list.forEach(([, e], k) => ports.set(`${which}\u0001${e.from}\u0001${e.to}`, p.x + (p.w * (k + 1)) / (list.length + 1)));
    }
  }

  const curve = (a, b) => {
    const h = (b[1] - a[1]) / 2;
    return [a, [a[0], a[1] + h], [b[0], b[1] - h], b];
  };
  let selfLoops = 0;
  for (const e of edges) {
    if (!pos.has(e.from) || !pos.has(e.to)) continue;
    const bad = e.missing;
    const attrs = { class: bad ? 'gedge gedge--bad' : 'gedge', 'data-from': e.from, 'data-to': e.target, 'data-branch': e.members.join(' ') };
    const marker = `url(#ivr-${bad ? 'arrow-bad' : 'arrow'})`;
    let d;
    let mid;
    if (e.self || pos.get(e.upper).L === pos.get(e.lower).L) { // to itself: a loop on the right
      const p = pos.get(e.from);
      selfLoops += 1;
      const out = p.x + p.w + 34 + (selfLoops % 2) * 10;
      const segs = [[p.x + p.w, p.y + 14], [out, p.y + 4], [out, p.y + H - 4], [p.x + p.w, p.y + H - 14]];
      d = `M${segs[0]} C${segs[1]} ${segs[2]} ${segs[3]}`;
      mid = bez(...segs, 0.5);
      attrs['marker-end'] = marker;
    } else {
      const up = pos.get(e.upper);
      const lo = pos.get(e.lower);
      const start = [ports.get(`out\u0001${e.from}\u0001${e.to}`), up.y + H];
      const end = [ports.get(`in\u0001${e.from}\u0001${e.to}`), lo.y];
      const stops = [start];
      for (const w of e.chain) {
        const p = pos.get(w);
        stops.push([p.x + p.w / 2, p.y], [p.x + p.w / 2, p.y + H]);
      }
      stops.push(end);
      const parts = [`M${start}`];
      const curves = [];
      for (let k = 0; k + 1 < stops.length; k += 2) {
        const c = curve(stops[k], stops[k + 1]);
        curves.push(c);
        parts.push(`C${c[1]} ${c[2]} ${c[3]}`);
        if (k + 2 < stops.length) parts.push(`L${stops[k + 2]}`);
      }
      d = parts.join(' ');
      // the label near the branch's own node: the top for a branch down, the bottom of
      // its way for one back up (its arrow then at the upper end)
      mid = e.up ? bez(...curves[curves.length - 1], 0.7) : bez(...curves[0], curves.length > 1 ? 0.45 : 0.35);
      attrs[e.up ? 'marker-start' : 'marker-end'] = marker;
      if (e.up) attrs.class += ' gedge--up';
    }
    gEdges.append(s('path', { d, ...attrs }));
    if (e.labels.length) gLabels.append(s('text', { x: mid[0] + 3, y: mid[1] + 4, class: 'glabel' }, clip(e.labels.join(', '), 22)));
  }

  // boxes
  for (const [key, p] of pos) {
    if (key.startsWith('\u0003')) continue; // a waypoint
    if (key.startsWith('\u0000')) {
      const g = s('g', { class: 'gmissing', transform: `translate(${p.x},${p.y})`, 'data-missing': key.slice(1) });
      g.append(s('rect', { width: W, height: H, rx: 8 }),
        s('text', { x: 10, y: 22, class: 'gnode__id' }, clip(key.slice(1), 20)),
        s('text', { x: 10, y: 40, class: 'gnode__sum' }, 'missing: no such node'));
      gBoxes.append(g);
      continue;
    }
    const i = key.startsWith('\u0002') ? Number(key.slice(1)) : indexOf.get(key);
    const n = graph.nodes[i];
    const err = errors.get(i);
    const cls = ['gnode', `gnode--${n.type}`];
    if (key === graph.start) cls.push('is-start');
    if (!reached.has(key) && !key.startsWith('\u0002')) cls.push('is-unreachable');
    if (err) cls.push('is-error');
    const label = `${shortType(n.type)} node ${n.id}${key === graph.start ? ', the start' : ''}${err ? `, error: ${err}` : ''}. Show it in the form.`;
    const g = s('g', { class: cls.join(' '), transform: `translate(${p.x},${p.y})`, 'data-node': n.id, 'data-index': i,
      'data-x': p.x, 'data-y': p.y,
      tabindex: 0, role: 'button', 'aria-label': label });
    g.append(s('title', {}, err ? `${n.id}: ${err}` : `${shortType(n.type)} ${n.id}`),
      s('rect', { width: W, height: H, rx: 8, class: 'gnode__box' }),
      s('text', { x: 10, y: 21, class: 'gnode__id' }, clip(n.id, 20)),
      s('text', { x: 10, y: 40, class: 'gnode__sum' }, clip(`${shortType(n.type)}${summary(n, names) ? `: ${summary(n, names)}` : ''}`, 23)));
    if (err) {
      const msg = err.replace(/^node '[^']*':\s*/, '');
      const t = s('text', { x: 0, y: H + 15, class: 'gnode__error' });
      wrap(msg, 30, 3).forEach((line, k) => t.append(s('tspan', { x: 0, dy: k ? 13 : 0 }, line)));
      g.append(t);
    }
    if (onPick) {
      g.addEventListener('click', () => onPick(i));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onPick(i);
        }
      });
    }
    gBoxes.append(g);
  }
}

/** Marks node index i chosen (null: none) and scrolls the graph's box into the view of
 *  its scrolling container. */
export function selectInGraph(svg, i) {
  for (const g of svg.querySelectorAll('.gnode.is-selected')) g.classList.remove('is-selected');
  if (i === null || i === undefined) return;
  const g = svg.querySelector(`.gnode[data-index="${i}"]`);
  if (!g) return;
  g.classList.add('is-selected');
  const box = svg.parentElement;
  const x = Number(g.getAttribute('data-x'));
  const y = Number(g.getAttribute('data-y'));
  if (y < box.scrollTop || y + H + 50 > box.scrollTop + box.clientHeight) box.scrollTop = Math.max(0, y - 40);
  if (x < box.scrollLeft || x + W > box.scrollLeft + box.clientWidth) box.scrollLeft = Math.max(0, x - 40);
}
