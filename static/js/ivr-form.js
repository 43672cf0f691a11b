// The form editor of an IVR flow's nodes: the start node, one card per node with its fields
// as inputs (targets chosen from the tenant's queues, departments, agents, voicemail boxes,
// schedules, flows and content, loaded by the page), each branch a select of the graph's
// nodes, and "add a node" of every type the engine runs. It edits graph ({start, nodes}) in
// place and calls onChange(structural) after each edit (structural: the form was redrawn).
// A 422 of the API is shown on the node it names (setErrors): the card outlined, the
// message in it, the member's input marked.
import { $, el } from './shell.js';
import {
  KEYS, OPS, TARGET_TYPES, TYPES, getMember, newNode, renameRefs, setMember, shortType, validId,
} from './ivr-model.js';

const VARIABLES = ['caller_number', 'called_number'];

function control(tag, attrs) {
  return el(tag, { attrs });
}

export class NodeForm {
  /** root: an element the form is drawn into; lookups: {queue, department, agent,
   *  voicemail, flow, schedule, content}: lists of [id, label]. */
  constructor(root, { lookups = {}, onChange = () => {}, onFocusNode = () => {} } = {}) {
    this.root = root;
    this.lookups = lookups;
    this.onChange = onChange;
    this.onFocusNode = onFocusNode;
    this.graph = { start: '', nodes: [] };
    this.keys = [];
    this.nextKey = 1;
    this.readOnly = false;
    this.errors = new Map(); // key -> {message, member}
    this.startError = '';
  }

  /** Shows graph (copied) for editing, or read-only. */
  load(graph, readOnly) {
    const g = graph && typeof graph === 'object' ? JSON.parse(JSON.stringify(graph)) : {};
    this.graph = { ...g, start: typeof g.start === 'string' ? g.start : '', nodes: Array.isArray(g.nodes) ? g.nodes : [] };
    this.keys = this.graph.nodes.map(() => this.nextKey++);
    this.readOnly = readOnly;
    this.errors = new Map();
    this.startError = '';
    this.render();
  }

  /** The document to save. */
  document() {
    return JSON.parse(JSON.stringify(this.graph));
  }

  /** byIndex: Map node index -> {message, member}; start: the message of graph.start. */
  setErrors(byIndex, start = '') {
    this.errors = new Map();
    for (const [i, e] of byIndex) if (this.keys[i] !== undefined) this.errors.set(this.keys[i], e);
    this.startError = start;
    this.render();
  }

  /** Node index -> message, for the graph. */
  errorsByIndex() {
    const out = new Map();
    this.keys.forEach((k, i) => { if (this.errors.has(k)) out.set(i, this.errors.get(k).message); });
    return out;
  }

  /** Moves focus to node i's card (its first erroneous input, else its id). */
  focusNode(i) {
    const key = this.keys[i];
    const card = $(`node-${key}`);
    if (!card) return;
    card.scrollIntoView({ block: 'nearest' });
    const target = card.querySelector('[aria-invalid="true"]') || card.querySelector('input, select, textarea');
    if (target) target.focus();
  }

  changed(structural) {
    if (structural) this.render();
    this.onChange(structural);
  }

  // ---- drawing ----

  render() {
    const active = document.activeElement;
    const keepId = active && this.root.contains(active) ? active.id : '';
    const fs = el('fieldset', { className: 'node-form', attrs: { id: 'node-fieldset' } });
    fs.disabled = this.readOnly;
    fs.append(el('legend', { className: 'visually-hidden', text: 'Nodes of the flow' }));
    fs.append(this.startField(), this.addBar());
    const list = el('div', { className: 'node-list', attrs: { id: 'node-list' } });
    if (!this.graph.nodes.length) list.append(el('p', { className: 'muted', text: 'No nodes yet. Add the first one: it is where a call starts.' }));
    this.graph.nodes.forEach((n, i) => list.append(this.card(n, i)));
    fs.append(list);
    this.root.replaceChildren(fs);
    if (keepId && $(keepId)) $(keepId).focus();
  }

  nodeOptions(current, noneLabel) {
    const opts = [['', noneLabel]];
    for (const n of this.graph.nodes) if (n.id) opts.push([n.id, `${n.id} (${shortType(n.type)})`]);
    if (current && !this.graph.nodes.some((n) => n.id === current)) opts.push([current, `${current} (missing)`]);
    return opts;
  }

  nodeSelect(id, value, noneLabel, attrs = {}) {
    return this.select(id, this.nodeOptions(value, noneLabel), value, { ...attrs, 'data-node-select': noneLabel });
  }

  select(id, options, value, attrs = {}) {
    const s = control('select', { id, ...attrs });
    for (const [v, label] of options) s.append(el('option', { text: label, attrs: { value: v } }));
    const val = value === undefined || value === null ? '' : String(value);
    if (![...s.options].some((o) => o.value === val)) s.append(el('option', { text: `${val} (not listed)`, attrs: { value: val } }));
    s.value = val;
    return s;
  }

  field(id, label, input, { hint, member, key, wide } = {}) {
    const box = el('div', { className: `field${wide ? ' field--wide' : ''}` }, [el('label', { text: label, attrs: { for: id } }), input]);
    const desc = [];
    if (hint) {
      box.append(el('p', { className: 'field__hint', text: hint, attrs: { id: `${id}-hint` } }));
      desc.push(`${id}-hint`);
    }
    const err = key !== undefined && this.errors.get(key);
    if (err && member !== undefined && err.member === member) {
      input.setAttribute('aria-invalid', 'true');
      desc.push(`node-${key}-error`);
    }
    if (desc.length) input.setAttribute('aria-describedby', desc.join(' '));
    return box;
  }

  startField() {
    const s = this.nodeSelect('flow-start', this.graph.start, '(choose the start node)');
    s.addEventListener('change', () => {
      this.graph.start = s.value;
      this.titles();
      this.changed(false);
    });
    const box = this.field('flow-start', 'Start node', s, { hint: 'Where a call enters the flow.' });
    const err = el('p', { className: 'field__error', text: this.startError, attrs: { id: 'flow-start-error' } });
    err.hidden = !this.startError;
    if (this.startError) {
      s.setAttribute('aria-invalid', 'true');
      s.setAttribute('aria-describedby', 'flow-start-hint flow-start-error');
    }
    box.append(err);
    return box;
  }

  addBar() {
    const s = this.select('add-node-type', TYPES.map((t) => [t.type, t.label]), 'say');
    const b = el('button', { className: 'btn btn--small', text: 'Add node', attrs: { id: 'add-node', type: 'button' } });
    b.addEventListener('click', () => {
      const n = newNode(s.value, this.graph.nodes);
      this.graph.nodes.push(n);
      this.keys.push(this.nextKey++);
      if (!this.graph.start) this.graph.start = n.id;
      this.changed(true);
      $('add-node-type').value = n.type;
      this.focusNode(this.graph.nodes.length - 1);
    });
    return el('div', { className: 'add-node' }, [el('label', { text: 'New node of type', attrs: { for: 'add-node-type' } }), s, b]);
  }

  title(n) {
    const parts = [el('span', { className: 'badge', text: shortType(n.type) }), ' ', el('span', { text: n.id || '(no id)' })];
    if (n.id && n.id === this.graph.start) parts.push(' ', el('span', { className: 'badge badge--start', text: 'Start' }));
    return parts;
  }

  // A node renamed from old (refs: its branches followed): its card and every select of
  // nodes follow, in place (a redraw would lose the focus the Tab that committed the
  // rename is moving).
  renamed(n, key, old, refs) {
    $(`node-${key}`).setAttribute('data-node', n.id);
    this.titles();
    for (const sel of this.root.querySelectorAll('select[data-node-select]')) {
      const cur = refs && sel.value === old ? n.id : sel.value;
      sel.replaceChildren(...this.nodeOptions(cur, sel.getAttribute('data-node-select')).map(([v, label]) => el('option', { text: label, attrs: { value: v } })));
      sel.value = cur;
    }
  }

  titles() {
    this.graph.nodes.forEach((n, i) => {
      const t = $(`node-${this.keys[i]}-title`);
      if (t) t.replaceChildren(...this.title(n));
    });
  }

  card(n, i) {
    const key = this.keys[i];
    const err = this.errors.get(key);
    const title = el('h3', { className: 'node-card__title', attrs: { id: `node-${key}-title` } }, this.title(n));
    const del = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Delete node', attrs: { type: 'button', 'data-delete-node': '', 'aria-describedby': `node-${key}-title` } });
    del.addEventListener('click', () => {
      this.graph.nodes.splice(i, 1);
      this.keys.splice(i, 1);
      this.changed(true);
      const next = Math.min(i, this.graph.nodes.length - 1);
      if (next >= 0) this.focusNode(next);
      else $('add-node-type').focus();
    });
    const head = el('header', { className: 'node-card__head' }, [title, del]);
    const card = el('article', { className: `node-card${err ? ' node-card--error' : ''}`,
      attrs: { id: `node-${key}`, 'data-node': n.id || '', 'data-type': n.type, 'data-index': String(i), 'aria-labelledby': `node-${key}-title` } }, [head]);
    const msg = el('p', { className: 'node-card__error', text: err ? err.message : '', attrs: { id: `node-${key}-error` } });
    msg.hidden = !err;
    card.append(msg);
    if (err) card.setAttribute('aria-invalid', 'true');
    const body = el('div', { className: 'node-card__fields' });
    body.append(this.idField(n, key));
    for (const f of this.fieldsOf(n, key)) body.append(f);
    card.append(body);
    card.addEventListener('focusin', () => this.onFocusNode(i));
    return card;
  }

  idField(n, key) {
    const id = `n${key}-id`;
    const input = control('input', { id, type: 'text', value: n.id || '', maxlength: '64', 'data-member': 'id', autocomplete: 'off', spellcheck: 'false' });
    input.addEventListener('change', () => {
      const v = input.value.trim();
      const old = n.id;
      n.id = v;
      const refs = Boolean(old) && validId(v) && !this.graph.nodes.some((o) => o !== n && (o.id === v || o.id === old));
      if (refs) renameRefs(this.graph, old, v);
      this.renamed(n, key, old, refs);
      this.changed(false);
    });
    return this.field(id, 'Node id', input, { key, member: 'id', hint: 'Letters, digits, _ and -.' });
  }

  // A text/number/select input bound to member of node n.
  bound(n, key, member, label, kind, extra = {}) {
    const id = `n${key}-${member.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const cur = getMember(n, member);
    let input;
    if (kind === 'node') {
      input = this.nodeSelect(id, cur, extra.none || '(none: the call ends)', { 'data-member': member });
    } else if (kind === 'select') {
      input = this.select(id, extra.options, cur, { 'data-member': member });
    } else if (kind === 'textarea') {
      input = control('textarea', { id, rows: '2', 'data-member': member });
      input.value = cur ?? '';
    } else {
      input = control('input', { id, type: kind, 'data-member': member, autocomplete: 'off' });
      for (const a of ['min', 'max', 'maxlength', 'placeholder', 'list']) if (extra[a] !== undefined) input.setAttribute(a, String(extra[a]));
      input.value = cur ?? '';
    }
    const read = () => (kind === 'number' && input.value !== '' ? Number(input.value) : input.value);
    const structural = Boolean(extra.structural);
    input.addEventListener(kind === 'select' || kind === 'node' || kind === 'number' ? 'change' : 'input', () => {
      setMember(n, member, read());
      if (extra.after) extra.after(n);
      this.changed(structural);
    });
    return this.field(id, label, input, { key, member, hint: extra.hint, wide: kind === 'textarea' });
  }

  lookup(kind, noneLabel) {
    const opts = noneLabel !== undefined ? [['', noneLabel]] : [['', '(choose)']];
    return opts.concat(this.lookups[kind] || []);
  }

  prompt(n, key, base) {
    // say/play keep their prompt at the top of the node; menu/gather under `prompt`
    const p = base ? `${base}.` : '';
    return [
      this.bound(n, key, `${p}text`, base ? 'Prompt text' : 'Text to say', 'textarea'),
      this.bound(n, key, `${p}content_id`, base ? 'Prompt content' : 'Or content', 'select', { options: this.lookup('content', '(none)') }),
      this.bound(n, key, `${p}audio_url`, base ? 'Prompt audio URL' : 'Or audio URL', 'text', { placeholder: 'https://…' }),
    ];
  }

  fieldsOf(n, key) {
    const b = (...a) => this.bound(n, key, ...a);
    switch (n.type) {
      case 'say':
        return [b('text', 'Text to say', 'textarea'), b('content_id', 'Or content', 'select', { options: this.lookup('content', '(none)') }),
          b('language', 'Language', 'text', { placeholder: 'en-US' }), b('voice', 'Voice', 'text'),
          b('next', 'Then go to', 'node')];
      case 'play':
        return [b('audio_url', 'Audio URL', 'text', { placeholder: 'https://…' }),
          b('content_id', 'Or content', 'select', { options: this.lookup('content', '(none)') }), b('next', 'Then go to', 'node')];
      case 'menu':
        return [...this.prompt(n, key, 'prompt'),
          b('timeout', 'Wait for a key (seconds)', 'number', { min: 1, max: 60, placeholder: '5' }),
          b('retries', 'Retries', 'number', { min: 0, max: 10, placeholder: '2' }),
          this.optionRows(n, key),
          b('invalid', 'On a wrong key', 'node', { none: '(none: hang up)' }),
          b('no_input', 'On no input', 'node', { none: '(none: hang up)' })];
      case 'gather':
        return [...this.prompt(n, key, 'prompt'),
          b('num_digits', 'Digits', 'number', { min: 1, max: 32, placeholder: '32' }),
          b('finish_on_key', 'Finish on key', 'select', { options: [['', '(none)'], ['#', '#'], ['*', '*']] }),
          b('variable', 'Store the digits in', 'text', { placeholder: 'account' }),
          b('timeout', 'Wait (seconds)', 'number', { min: 1, max: 60, placeholder: '5' }),
          b('retries', 'Retries', 'number', { min: 0, max: 10, placeholder: '2' }),
          b('next', 'With the digits go to', 'node'),
          b('invalid', 'On invalid input', 'node', { none: '(none: hang up)' }),
          b('no_input', 'On no input', 'node', { none: '(none: hang up)' })];
      case 'schedule':
        return [b('schedule_id', 'Schedule', 'select', { options: this.lookup('schedule') }),
          b('open', 'When open', 'node', { none: '(choose)' }), b('closed', 'When closed', 'node', { none: '(choose)' }),
          b('holiday', 'On a holiday', 'node', { none: '(as when closed)' })];
      case 'branch':
        return [b('variable', 'Caller data', 'text', { list: 'ivr-variables', hint: 'caller_number, called_number, or a variable a gather or set node stores.' }),
          this.caseRows(n, key), b('default', 'Otherwise go to', 'node', { none: '(choose)' })];
      case 'set':
        return [b('variable', 'Variable', 'text', { placeholder: 'language' }), b('value', 'Value', 'text'), b('next', 'Then go to', 'node')];
      case 'route':
        return [b('target_type', 'Route to', 'select', { options: TARGET_TYPES, structural: true, after: (x) => { delete x.target; } }),
          this.targetField(n, key)];
      case 'hangup':
        return [b('text', 'Goodbye text', 'textarea')];
      default:
        return [el('p', { className: 'muted', text: `A node of type ${n.type}: not editable here.` })];
    }
  }

  targetField(n, key) {
    const t = n.target_type;
    if (t === 'external') return this.bound(n, key, 'target', 'Phone number', 'tel', { placeholder: '+15550100', hint: 'E.164.' });
    const none = t === 'voicemail' ? "(the tenant's mailbox)" : undefined;
    return this.bound(n, key, 'target', { queue: 'Queue', department: 'Department', agent: 'Agent', voicemail: 'Voicemail box', flow: 'Flow' }[t] || 'Target',
      'select', { options: this.lookup(t, none) });
  }

  // A menu's keys: each a row (key, the node it goes to, remove) in the order written.
  optionRows(n, key) {
    if (!n.options || typeof n.options !== 'object' || Array.isArray(n.options)) n.options = {};
    const err = this.errors.get(key);
    const rows = el('ul', { className: 'rows' });
    Object.entries(n.options).forEach(([k, target], j) => {
      const kid = `n${key}-opt${j}-key`;
      const tid = `n${key}-opt${j}-to`;
      const ks = this.select(kid, KEYS.filter((x) => x === k || !(x in n.options)).map((x) => [x, x]), k, { 'data-option-key': k });
      const ts = this.nodeSelect(tid, target, '(choose)', { 'data-member': `options.${k}` });
      if (err && err.member === `options.${k}`) ts.setAttribute('aria-invalid', 'true');
      ks.addEventListener('change', () => {
        const entries = Object.entries(n.options).map(([a, v]) => [a === k ? ks.value : a, v]);
        n.options = Object.fromEntries(entries);
        this.changed(true);
      });
      ts.addEventListener('change', () => {
        n.options[k] = ts.value;
        this.changed(false);
      });
      const rm = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Remove', attrs: { type: 'button', 'aria-label': `Remove key ${k}`, 'aria-describedby': `node-${key}-title` } });
      rm.addEventListener('click', () => {
        delete n.options[k];
        this.changed(true);
      });
      rows.append(el('li', { className: 'row', attrs: { 'data-option': k } }, [
        el('label', { text: 'Key', attrs: { for: kid } }), ks,
        el('label', { text: 'goes to', attrs: { for: tid } }), ts, rm]));
    });
    const add = el('button', { className: 'btn btn--small', text: 'Add key', attrs: { type: 'button', 'data-add-option': '', 'aria-describedby': `node-${key}-title` } });
    add.disabled = KEYS.every((x) => x in n.options);
    add.addEventListener('click', () => {
      const free = KEYS.find((x) => !(x in n.options));
      n.options[free] = '';
      this.changed(true);
      const sel = this.root.querySelector(`#node-${key} [data-member="options.${free}"]`);
      if (sel) sel.focus();
    });
    const box = el('fieldset', { className: `subrows${err && err.member === 'options' ? ' subrows--error' : ''}` }, [
      el('legend', { text: 'Keys' }), rows, add]);
    return box;
  }

  // A branch node's cases: op, value, next; in order (the first that matches wins).
  caseRows(n, key) {
    if (!Array.isArray(n.cases)) n.cases = [];
    const err = this.errors.get(key);
    const rows = el('ol', { className: 'rows' });
    n.cases.forEach((c, j) => {
      if (!c || typeof c !== 'object') return;
      const oid = `n${key}-case${j}-op`;
      const vid = `n${key}-case${j}-value`;
      const nid = `n${key}-case${j}-next`;
      const op = this.select(oid, OPS, c.op || 'eq', { 'data-member': `cases[${j}].op` });
      const val = control('input', { id: vid, type: 'text', 'data-member': `cases[${j}].value`, autocomplete: 'off' });
      val.value = Array.isArray(c.value) ? c.value.join(', ') : c.value ?? '';
      val.disabled = c.op === 'empty';
      const next = this.nodeSelect(nid, c.next, '(choose)', { 'data-member': `cases[${j}].next` });
      for (const [ctl, m] of [[op, `cases[${j}]`], [next, `cases[${j}].next`]]) {
        if (err && err.member === m) ctl.setAttribute('aria-invalid', 'true');
      }
      const readVal = () => (c.op === 'in' ? val.value.split(',').map((x) => x.trim()).filter(Boolean) : val.value);
      op.addEventListener('change', () => {
        c.op = op.value;
        if (c.op === 'empty') delete c.value;
        else c.value = readVal();
        this.changed(true);
      });
      val.addEventListener('input', () => {
        c.value = readVal();
        this.changed(false);
      });
      next.addEventListener('change', () => {
        c.next = next.value;
        this.changed(false);
      });
      const rm = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Remove', attrs: { type: 'button', 'aria-label': `Remove case ${j + 1}`, 'aria-describedby': `node-${key}-title` } });
      rm.addEventListener('click', () => {
        n.cases.splice(j, 1);
        this.changed(true);
      });
      rows.append(el('li', { className: 'row', attrs: { 'data-case': String(j) } }, [
        el('label', { text: 'If it', attrs: { for: oid } }), op,
        el('label', { className: 'visually-hidden', text: 'Value', attrs: { for: vid } }), val,
        el('label', { text: 'go to', attrs: { for: nid } }), next, rm]));
    });
    const add = el('button', { className: 'btn btn--small', text: 'Add case', attrs: { type: 'button', 'data-add-case': '', 'aria-describedby': `node-${key}-title` } });
    add.addEventListener('click', () => {
      n.cases.push({ op: 'eq', value: '', next: '' });
      this.changed(true);
    });
    return el('fieldset', { className: 'subrows' }, [el('legend', { text: 'Cases (the first that matches)' }), rows, add]);
  }
}

/** The datalist of variable names a branch node may test (and those the graph stores). */
export function variablesList(graph) {
  const names = new Set(VARIABLES);
  for (const n of graph.nodes) if ((n.type === 'set' || n.type === 'gather') && n.variable) names.add(n.variable);
  return el('datalist', { attrs: { id: 'ivr-variables' } }, [...names].map((v) => el('option', { attrs: { value: v } })));
}
