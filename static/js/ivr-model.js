// The IVR graph document of docs/ivr.md as the editor sees it: the node types the engine
// runs (src/core/ivr_graph.c), each node's branches, a new node of a type, renaming a node
// in every branch that names it, and where a 422 of the API points (graph.nodes[i] or
// graph.nodes[i].<member>). Pure: no DOM, no API.

export const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];
export const OPS = [['eq', 'equals'], ['prefix', 'starts with'], ['in', 'is one of'], ['empty', 'is empty']];
export const TARGET_TYPES = [
  ['queue', 'Queue'], ['department', 'Department'], ['agent', 'Agent'],
  ['voicemail', 'Voicemail'], ['flow', 'Another flow'], ['external', 'External number'],
];

// Every node type the engine supports, in the order the "add a node" list offers them.
export const TYPES = [
  { type: 'say', label: 'Say (text to speech)' },
  { type: 'play', label: 'Play (audio)' },
  { type: 'menu', label: 'Menu (press a key)' },
  { type: 'gather', label: 'Gather digits' },
  { type: 'schedule', label: 'Schedule branch (open, closed, holiday)' },
  { type: 'branch', label: 'Caller-data branch' },
  { type: 'set', label: 'Set a variable' },
  { type: 'route', label: 'Route (queue, agent, voicemail, number…)' },
  { type: 'hangup', label: 'Hang up' },
];

export const typeLabel = (t) => (TYPES.find((x) => x.type === t) || { label: t }).label;
export const shortType = (t) => ({ say: 'Say', play: 'Play', menu: 'Menu', gather: 'Gather', schedule: 'Schedule',
  branch: 'Branch', set: 'Set', route: 'Route', hangup: 'Hang up' })[t] || t;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const validId = (id) => ID_RE.test(id);

/** A fresh node of a type, its id not used in nodes. */
export function newNode(type, nodes) {
  const used = new Set(nodes.map((n) => n.id));
  let i = 1;
  while (used.has(`${type}_${i}`)) i += 1;
  const id = `${type}_${i}`;
  switch (type) {
    case 'menu': return { id, type, options: {} };
    case 'branch': return { id, type, variable: 'caller_number', cases: [] };
    case 'route': return { id, type, target_type: 'queue' };
    default: return { id, type };
  }
}

/** The branches of a node in the engine's terms: [{member, label, target}], target the id
 *  it names (maybe not a node: a dangling branch). member is the field path of the 422. */
export function branchesOf(n) {
  const out = [];
  const add = (member, label, target) => {
    if (typeof target === 'string' && target !== '') out.push({ member, label, target });
  };
  switch (n.type) {
    case 'say': case 'play': case 'set':
      add('next', '', n.next);
      break;
    case 'menu':
      for (const [k, t] of Object.entries(n.options || {})) add(`options.${k}`, k, t);
      add('invalid', 'invalid', n.invalid);
      add('no_input', 'no input', n.no_input);
      break;
    case 'gather':
      add('next', 'digits', n.next);
      add('invalid', 'invalid', n.invalid);
      add('no_input', 'no input', n.no_input);
      break;
    case 'schedule':
      add('open', 'open', n.open);
      add('closed', 'closed', n.closed);
      add('holiday', 'holiday', n.holiday);
      break;
    case 'branch':
      (Array.isArray(n.cases) ? n.cases : []).forEach((c, i) => {
        if (c && typeof c === 'object') add(`cases[${i}].next`, caseLabel(c), c.next);
      });
      add('default', 'default', n.default);
      break;
    default:
  }
  return out;
}

export function caseLabel(c) {
  const v = Array.isArray(c.value) ? c.value.join(',') : c.value ?? '';
  if (c.op === 'empty') return 'empty';
  const sym = { eq: '=', prefix: '^', in: '∈' }[c.op] || c.op;
  return `${sym} ${v}`;
}

/** A one-line summary of what a node does (the graph's second line). */
export function summary(n, names = {}) {
  const p = n.prompt || n;
  const spoken = p.text || (p.content_id && `[${names[p.content_id] || p.content_id}]`) || p.audio_url || '';
  switch (n.type) {
    case 'say': case 'play': case 'menu': case 'gather': case 'hangup': return spoken;
    case 'schedule': return names[n.schedule_id] || n.schedule_id || '';
    case 'branch': return n.variable || '';
    case 'set': return `${n.variable || '?'} = ${n.value ?? ''}`;
    case 'route': return `${n.target_type || '?'}: ${names[n.target] || n.target || (n.target_type === 'voicemail' ? 'mailbox' : '')}`;
    default: return '';
  }
}

/** Renames node oldId to newId in every branch and in start. */
export function renameRefs(graph, oldId, newId) {
  if (graph.start === oldId) graph.start = newId;
  for (const n of graph.nodes) {
    for (const m of ['next', 'invalid', 'no_input', 'open', 'closed', 'holiday', 'default']) {
      if (n[m] === oldId) n[m] = newId;
    }
    if (n.options && typeof n.options === 'object') {
      for (const k of Object.keys(n.options)) if (n.options[k] === oldId) n.options[k] = newId;
    }
    if (Array.isArray(n.cases)) for (const c of n.cases) if (c && c.next === oldId) c.next = newId;
  }
}

/** Where a 422 field points: {node: index, member} for graph.nodes[i](.member),
 *  {start: true} for graph.start, else null (the whole document or another field). */
export function errorTarget(field) {
  const m = /^graph\.nodes\[(\d+)\](?:\.(.+))?$/.exec(field);
  if (m) return { node: Number(m[1]), member: m[2] || '' };
  if (field === 'graph.start') return { start: true };
  return null;
}

/** Sets (or, for '' / undefined, removes) a member; `prompt.text` reaches into the prompt,
 *  which goes when it is left empty. */
export function setMember(n, member, value) {
  const empty = value === '' || value === undefined || value === null;
  const dot = member.indexOf('.');
  if (dot > 0) {
    const outer = member.slice(0, dot);
    const inner = member.slice(dot + 1);
    const o = n[outer] && typeof n[outer] === 'object' ? n[outer] : {};
    if (empty) delete o[inner];
    else o[inner] = value;
    if (Object.keys(o).length) n[outer] = o;
    else delete n[outer];
    return;
  }
  if (empty) delete n[member];
  else n[member] = value;
}

export function getMember(n, member) {
  const dot = member.indexOf('.');
  if (dot > 0) {
    const o = n[member.slice(0, dot)];
    return o && typeof o === 'object' ? o[member.slice(dot + 1)] : undefined;
  }
  return n[member];
}

/**
 * The layered layout of a graph. A depth-first walk from start finds the branches that go
 * back up (to a node still on the walk's path); without them the graph has no cycle, and
 * each node's layer is its longest path from start, so every other branch goes down. Nodes
 * start does not reach follow, component by component, in layers of their own. Within a
 * layer nodes are ordered by the mean position of the nodes that lead to them.
 * Returns {layers: [[key…]], layerOf: Map key -> layer, reached: Set of the ids start
 * reaches, edges, missing: [{id, from, layer}]}. A key is a node id, "\0" + id for an id a
 * branch names that is no node (drawn once, under its first source), or "\3" + n for a
 * waypoint of an edge. edges: one per pair of nodes, {from, to (keys), target (the id
 * named), members, labels, missing, self, up (it goes back up the layers), upper, lower
 * (its ends, top first), chain (its waypoints, top first)}.
 */
export function layers(graph) {
  const byId = new Map();
  for (const n of graph.nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  const succ = (id) => branchesOf(byId.get(id)).map((b) => b.target).filter((t) => byId.has(t));
  const layerOf = new Map();
  const topo = [];
  const color = new Map(); // 1 on the walk's path, 2 done
  const component = (root, base) => {
    const post = [];
    const back = new Set();
    const stack = [[root, succ(root), 0]];
    color.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top[2] < top[1].length) {
        const t = top[1][top[2]++];
        if (color.get(t) === 1) back.add(`${top[0]}\u0000${t}`);
        else if (!color.has(t)) {
          color.set(t, 1);
          stack.push([t, succ(t), 0]);
        }
      } else {
        color.set(top[0], 2);
        post.push(top[0]);
        stack.pop();
      }
    }
    const order = post.reverse();
    const mine = new Set(order);
    for (const id of order) layerOf.set(id, base);
    for (const id of order) {
      for (const t of succ(id)) {
        if (mine.has(t) && !back.has(`${id}\u0000${t}`)) layerOf.set(t, Math.max(layerOf.get(t), layerOf.get(id) + 1));
      }
    }
    topo.push(...order);
  };
  const deepest = () => Math.max(-1, ...layerOf.values());
  if (byId.has(graph.start)) component(graph.start, 0);
  const reached = new Set(layerOf.keys());
  for (const id of byId.keys()) if (!color.has(id)) component(id, deepest() + 1);
  const missing = new Map();
  for (const id of topo) {
    for (const b of branchesOf(byId.get(id))) {
      if (!byId.has(b.target) && !missing.has(b.target)) missing.set(b.target, { id: b.target, from: id, layer: layerOf.get(id) + 1 });
    }
  }
  const rows = [];
  const put = (id, L) => { (rows[L] = rows[L] || []).push(id); };
  for (const id of topo) put(id, layerOf.get(id));
  for (const m of missing.values()) {
    layerOf.set(`\u0000${m.id}`, m.layer);
    put(`\u0000${m.id}`, m.layer);
  }

  // the edges: one per pair of nodes (its branches' labels together); one that crosses
  // layers gets a waypoint ("\u0003" + n) in each layer between its ends
  const edges = [];
  let waypoints = 0;
  for (const id of topo) {
    const pairs = new Map();
    for (const b of branchesOf(byId.get(id))) {
      const to = byId.has(b.target) ? b.target : `\u0000${b.target}`;
      if (!pairs.has(to)) pairs.set(to, { from: id, to, target: b.target, members: [], labels: [], missing: !byId.has(b.target) });
      const e = pairs.get(to);
      e.members.push(b.member);
      if (b.label) e.labels.push(b.label);
    }
    for (const e of pairs.values()) {
      const a = layerOf.get(e.from);
      const z = layerOf.get(e.to);
      e.up = z < a;
      e.self = e.to === e.from;
      const [hi, lo] = e.up ? [z, a] : [a, z];
      e.upper = e.up ? e.to : e.from;
      e.lower = e.up ? e.from : e.to;
      e.chain = [];
      for (let L = hi + 1; L < lo; L++) {
        const w = `\u0003${waypoints++}`;
        layerOf.set(w, L);
        put(w, L);
        e.chain.push(w);
      }
      edges.push(e);
    }
  }

  // order each layer by the mean position of its neighbours in the layer above, then
  // below, then above again (the barycentre heuristic)
  const above = new Map();
  const below = new Map();
  const link = (u, v) => {
    if (!below.has(u)) below.set(u, []);
    if (!above.has(v)) above.set(v, []);
    below.get(u).push(v);
    above.get(v).push(u);
  };
  for (const e of edges) {
    if (e.self || layerOf.get(e.upper) === layerOf.get(e.lower)) continue;
    const path = [e.upper, ...e.chain, e.lower];
    for (let k = 1; k < path.length; k++) link(path[k - 1], path[k]);
  }
  const full = [];
  for (let L = 0; L < rows.length; L++) full.push(rows[L] || []);
  const pos = new Map();
  const place = (row) => row.forEach((id, i) => pos.set(id, i - (row.length - 1) / 2));
  full.forEach(place);
  const sweep = (L, nbrs) => {
    const row = full[L];
    const keyed = row.map((id, i) => {
      const ns = (nbrs.get(id) || []).filter((x) => pos.has(x));
      return [ns.length ? ns.reduce((sum, x) => sum + pos.get(x), 0) / ns.length : pos.get(id), i, id];
    });
    keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    full[L] = keyed.map((k) => k[2]);
    place(full[L]);
  };
  for (let L = 1; L < full.length; L++) sweep(L, above);
  for (let L = full.length - 2; L >= 0; L--) sweep(L, below);
  for (let L = 1; L < full.length; L++) sweep(L, above);
  return { layers: full, layerOf, reached, edges, missing: [...missing.values()] };
}
