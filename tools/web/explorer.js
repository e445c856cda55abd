/* The synack explorer: the page side. The stack, the simulator, the story catalogue and the
 * drawings are C compiled to WebAssembly (synack.wasm, see tools/web/web_wasm.c); this file
 * loads it with a few WASI stand-ins, asks it for stories and captures as JSON and SVG, and
 * makes the drawings live: time, clicks on segments, the state diagram, hover links. */
'use strict';

/* ---------- the module ---------- */

const wasm = { inst: null, E: null };
const enc = new TextEncoder(), dec = new TextDecoder();
const mem8 = () => new Uint8Array(wasm.E.memory.buffer);
const view = () => new DataView(wasm.E.memory.buffer);

/* What wasi-libc may ask of its host. The module does no file or clock I/O of its own (results
 * go through memory streams), so almost everything is refused; writes to stdout/stderr go to
 * the console, where a C assertion would show. */
const EBADF = 8, ENOTCAPABLE = 76, ENOSYS = 52;
const wasi = {
  fd_write(fd, iov, n, nwritten) {
    const dv = view(); let total = 0, text = '';
    for (let i = 0; i < n; i++) {
      const p = dv.getUint32(iov + 8 * i, true), l = dv.getUint32(iov + 8 * i + 4, true);
      text += dec.decode(mem8().subarray(p, p + l)); total += l;
    }
    if (text) console.log(text);
    dv.setUint32(nwritten, total, true);
    return 0;
  },
  fd_close: () => 0,
  fd_seek: () => EBADF,
  fd_read: () => EBADF,
  fd_fdstat_get: () => EBADF,
  fd_fdstat_set_flags: () => EBADF,
  fd_prestat_get: () => EBADF,          /* no preopened directories: no file system at all */
  fd_prestat_dir_name: () => EBADF,
  path_open: () => ENOTCAPABLE,
  proc_exit(code) { throw new Error('synack.wasm exited with ' + code); },
};
const wasiProxy = new Proxy(wasi, { get: (t, k) => t[k] || (() => ENOSYS) });

async function loadWasm() {
  const bytes = await (await fetch('synack.wasm')).arrayBuffer();
  const { instance } = await WebAssembly.instantiate(bytes, { wasi_snapshot_preview1: wasiProxy });
  wasm.inst = instance; wasm.E = instance.exports;
  wasm.E._initialize();
}

function cstr(s) {
  const b = enc.encode(s + '\0'), p = wasm.E.sk_alloc(b.length);
  mem8().set(b, p);
  return p;
}
function result() {
  const p = wasm.E.sk_out(), n = wasm.E.sk_out_len();
  return mem8().slice(p, p + n);
}
const resultText = () => dec.decode(result());
function withStrings(fn, ...strs) {
  const ps = strs.map(cstr);
  try { return fn(...ps); } finally { ps.forEach(p => wasm.E.sk_free(p)); }
}

/* ---------- state and the URL ---------- */

const SWITCHES = [
  ['sack', 'SACK'], ['ts', 'timestamps'], ['rfc5961', 'RFC 5961'], ['cookies', 'SYN cookies'],
  ['timewait', 'TIME-WAIT'], ['twreuse', 'TIME-WAIT reuse'],
];
const FIELDS = { profile: 'opt-profile', isn: 'opt-isn', ipv6: 'opt-ipv6', rtt: 'opt-rtt', loss: 'opt-loss',
  seed: 'opt-seed', delayms: 'opt-delayms' };
const S = {
  catalogue: [], names: [], mode: 'story', name: '', choices: {}, faults: [], abs: false,
  story: null, ladder: null, cursor: 0, playing: null, selected: 0, runs: 0,
  capture: null, conn: -1,
};

function hashOf() {
  const q = ['s=' + encodeURIComponent(S.name)];
  for (const [k, v] of Object.entries(S.choices)) if (v !== '' && v !== undefined) q.push(k + '=' + encodeURIComponent(v));
  for (const kind of ['lose', 'delay', 'dup']) {
    const segs = S.faults.filter(f => f.kind === kind).map(f => f.seg);
    if (segs.length) q.push(kind + '=' + segs.join(','));
  }
  if (S.abs) q.push('abs=1');
  return q.join('&');
}
function readHash() {
  const h = location.hash.replace(/^#/, '');
  S.choices = {}; S.faults = []; S.abs = false;
  let name = '';
  for (const part of h.split('&')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i), v = decodeURIComponent(part.slice(i + 1));
    if (k === 's') name = v;
    else if (k === 'abs') S.abs = v === '1';
    else if (k === 'lose' || k === 'delay' || k === 'dup')
      v.split(',').filter(x => /^\d+$/.test(x)).forEach(x => S.faults.push({ seg: +x, kind: k }));
    else if (SWITCHES.some(s => s[0] === k) || k in FIELDS) S.choices[k] = v;
  }
  name = S.names.includes(name) ? name : (S.name || S.names[0]);
  if (name !== S.name) S.selected = 0; /* segment numbers belong to one story */
  S.name = name;
}
/* The choices as the C side reads them (the hash without the page's own keys). */
const choiceString = () => hashOf().split('&').filter(p => !p.startsWith('s=') && !p.startsWith('abs=')).join('&');

function go() {
  const h = '#' + hashOf();
  if (location.hash !== h) location.hash = h; /* hashchange runs the story */
  else runStory();
}

/* ---------- drawing helpers ---------- */

const $ = id => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';
function el(tag, attrs, parent, ns) {
  const e = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}
const secs = t => (t / 1e6).toFixed(6) + ' s';

function showError(msg) {
  const e = $('error');
  e.textContent = msg; e.hidden = !msg;
}

/* ---------- the RFC 9293 state diagram ---------- */

const NODES = {
  'CLOSED': [210, 28], 'LISTEN': [210, 98], 'SYN-RECEIVED': [78, 168], 'SYN-SENT': [342, 168],
  'ESTABLISHED': [210, 238], 'FIN-WAIT-1': [78, 318], 'CLOSE-WAIT': [342, 318], 'CLOSING': [210, 368],
  'FIN-WAIT-2': [78, 418], 'LAST-ACK': [342, 418], 'TIME-WAIT': [210, 478],
};
/* The transitions of RFC 9293 figure 5 (event / action). */
const EDGES = [
  ['CLOSED', 'LISTEN', 'passive OPEN'], ['CLOSED', 'SYN-SENT', 'active OPEN / snd SYN'],
  ['LISTEN', 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK'], ['LISTEN', 'SYN-SENT', 'SEND / snd SYN'],
  ['LISTEN', 'CLOSED', 'CLOSE'], ['SYN-SENT', 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK'],
  ['SYN-SENT', 'ESTABLISHED', 'rcv SYN,ACK / snd ACK'], ['SYN-SENT', 'CLOSED', 'CLOSE'],
  ['SYN-RECEIVED', 'ESTABLISHED', 'rcv ACK of SYN'], ['SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSE / snd FIN'],
  ['SYN-RECEIVED', 'LISTEN', 'rcv RST'], ['ESTABLISHED', 'FIN-WAIT-1', 'CLOSE / snd FIN'],
  ['ESTABLISHED', 'CLOSE-WAIT', 'rcv FIN / snd ACK'], ['FIN-WAIT-1', 'FIN-WAIT-2', 'rcv ACK of FIN'],
  ['FIN-WAIT-1', 'CLOSING', 'rcv FIN / snd ACK'], ['FIN-WAIT-2', 'TIME-WAIT', 'rcv FIN / snd ACK'],
  ['CLOSING', 'TIME-WAIT', 'rcv ACK of FIN'], ['CLOSE-WAIT', 'LAST-ACK', 'CLOSE / snd FIN'],
  ['LAST-ACK', 'CLOSED', 'rcv ACK of FIN'], ['TIME-WAIT', 'CLOSED', 'timeout = 2 MSL'],
];
const fsm = { svg: null, nodes: {}, edges: {}, extra: null };

function edgePath(a, b, bend) {
  const [x1, y1] = NODES[a], [x2, y2] = NODES[b];
  const mx = (x1 + x2) / 2 + bend * (y2 - y1) * 0.18, my = (y1 + y2) / 2 - bend * (x2 - x1) * 0.18;
  return `M${x1} ${y1} Q${mx} ${my} ${x2} ${y2}`;
}

function buildFsm() {
  const svg = el('svg', { viewBox: '0 0 420 500', role: 'img', 'aria-label': 'TCP state diagram' }, $('fsm'), true);
  const defs = el('defs', {}, svg, true);
  for (const [id, col] of [['fa', '#999'], ['fc', '#1f5fa8'], ['fs', '#1d7a3a']]) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: 'auto-start-reverse' }, defs, true);
    el('path', { d: 'M0,0 L10,5 L0,10 z', fill: col }, m, true);
  }
  const eg = el('g', { class: 'edges' }, svg, true);
  for (const [a, b, label] of EDGES) {
    const bend = (a === 'LISTEN' && b === 'CLOSED') || (a === 'SYN-RECEIVED' && b === 'LISTEN') ||
      (a === 'LAST-ACK' && b === 'CLOSED') || (a === 'TIME-WAIT' && b === 'CLOSED') ? 1 : 0;
    const p = el('path', { d: edgePath(a, b, bend), class: 'edge', 'marker-end': 'url(#fa)' }, eg, true);
    const t = el('title', { text: `${a} → ${b}: ${label}` }, p, true);
    void t;
    fsm.edges[a + '>' + b] = p;
  }
  fsm.extra = el('g', { class: 'extra' }, svg, true);
  const ng = el('g', { class: 'nodes' }, svg, true);
  for (const [name, [x, y]] of Object.entries(NODES)) {
    const g = el('g', { class: 'node', transform: `translate(${x} ${y})` }, ng, true);
    el('rect', { x: -52, y: -13, width: 104, height: 26, rx: 12 }, g, true);
    el('text', { y: 4, 'text-anchor': 'middle', text: name }, g, true);
    el('text', { class: 'who c', x: -60, y: 4, 'text-anchor': 'end', text: 'C' }, g, true);
    el('text', { class: 'who s', x: 60, y: 4, text: 'S' }, g, true);
    fsm.nodes[name] = g;
  }
  fsm.svg = svg;
}

/* Lights each end's state after event i and the transition each end took last. */
function drawFsm(events, i) {
  if (!fsm.svg) return;
  for (const g of Object.values(fsm.nodes)) g.classList.remove('c', 's');
  for (const p of Object.values(fsm.edges)) p.classList.remove('c', 's'), p.setAttribute('marker-end', 'url(#fa)');
  fsm.extra.replaceChildren();
  const e = events[i];
  if (!e) return;
  const names = ['c', 's'], took = [];
  for (let side = 0; side < 2; side++) {
    /* The column's state, except where a segment's columns already show where its arrival
     * takes the receiver one line before that transition is drawn: then the state before it, so
     * that the lit transition ends at the lit state. (Muted stretches record no transitions:
     * the column is the truth.) */
    let last = null, next = null;
    for (let j = i; j >= 0; j--) if (events[j].k === 'state' && events[j].side === side) { last = events[j]; break; }
    for (let j = i + 1; j < events.length; j++) if (events[j].k === 'state' && events[j].side === side) { next = events[j]; break; }
    let st = e.st[side];
    if (last && next && next.to === st && next.from === last.to)
      st = last.to;
    if (fsm.nodes[st]) fsm.nodes[st].classList.add(names[side]);
    $(side ? 'st-s' : 'st-c').textContent = st;
    if (!last || !NODES[last.from] || !NODES[last.to]) continue;
    took.push(`${side ? 'server' : 'client'}: ${last.from} → ${last.to}` + (last.text ? ` (${last.text})` : ''));
    const p = fsm.edges[last.from + '>' + last.to];
    if (p) {
      p.classList.add(names[side]);
      p.setAttribute('marker-end', side ? 'url(#fs)' : 'url(#fc)');
    } else {
      /* Not a transition of the figure (a RST, an abort, TIME-WAIT reopened): drawn for the moment. */
      const q = el('path', { d: edgePath(last.from, last.to, 0.6), class: 'edge off ' + names[side],
        'marker-end': side ? 'url(#fs)' : 'url(#fc)' }, fsm.extra, true);
      el('title', { text: `${last.from} → ${last.to}: ${last.text} (not in RFC 9293 figure 5)` }, q, true);
    }
  }
  $('took').textContent = took.length ? 'last transitions: ' + took.join('; ') : '';
}

/* ---------- the ladder, the graph and time ---------- */

function svgInto(box, text) {
  box.innerHTML = text.replace(/^<\?xml[^>]*>\s*/, '');
  const svg = box.querySelector('svg');
  if (svg) { svg.removeAttribute('height'); svg.setAttribute('preserveAspectRatio', 'xMinYMin meet'); }
  return svg;
}

function drawLadder() {
  if (wasm.E.sk_svg(S.abs ? 1 : 0) !== 0) throw new Error('cannot draw the ladder');
  const svg = svgInto($('ladder'), resultText());
  const faults = new Map(S.faults.map(f => [f.seg, f.kind]));
  for (const g of svg.querySelectorAll('g.ev[data-seg]')) {
    const seg = +g.dataset.seg;
    const e = S.ladder.events[+g.dataset.ev];
    g.setAttribute('tabindex', '-1');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', `segment ${seg}: ${e.side ? 'server' : 'client'} sends ${S.abs ? e.alabel : e.label}` +
      (e.lost ? ', lost' : '') + (e.rtx ? ', retransmission' : ''));
    if (e.lost) g.classList.add('lost');
    if (e.rtx) g.classList.add('rtx');
    if (faults.has(seg)) g.classList.add('chosen', 'chosen-' + faults.get(seg));
  }
  /* A band behind the current event, and a veil over what has not happened yet (one element
   * moved per step: cheaper than restyling every event). Arrows still in flight are veiled
   * below the current row: they have not arrived. */
  const cursor = el('rect', { class: 'cursor', x: 0, y: 0, width: 1600, height: 0 }, null, true);
  svg.insertBefore(cursor, svg.querySelector('g.ev'));
  el('rect', { class: 'veil', x: 0, y: 0, width: 1600, height: 0 }, svg, true);
  S.rows = [...svg.querySelectorAll('g.ev')];
}

function drawTsg() {
  const show = S.mode === 'capture' ? S.ladder.bytes > 0 : S.ladder.bytes >= 2000;
  $('tsg-box').hidden = !show;
  $('dl-tsg').disabled = !show;
  if (!show) { $('tsg').replaceChildren(); return; }
  if (wasm.E.sk_tsg() !== 0) return;
  svgInto($('tsg'), resultText());
}

function setCursor(i, scroll) {
  const ev = S.ladder ? S.ladder.events : [];
  if (!ev.length) return;
  i = Math.max(0, Math.min(ev.length - 1, i));
  S.cursor = i;
  $('slider').value = i;
  $('clock').textContent = secs(ev[i].t);
  const svg = $('ladder').querySelector('svg');
  const cur = S.rows[i];
  const band = svg.querySelector('rect.cursor'), veil = svg.querySelector('rect.veil');
  if (cur && band) {
    /* The row's time label gives its line: arrows and notes may reach further down. */
    const b = cur.querySelector('text').getBBox();
    band.setAttribute('y', b.y - 4);
    band.setAttribute('height', b.height + 8);
    const h = svg.viewBox.baseVal.height;
    veil.setAttribute('y', b.y + b.height + 4);
    veil.setAttribute('height', Math.max(0, h - b.y - b.height - 4));
  }
  if (scroll && cur) cur.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  for (const m of $('tsg').querySelectorAll('.mk')) m.classList.toggle('future', +m.dataset.ev > i);
  drawFsm(ev, i);
  const e = ev[i];
  let what;
  if (e.k === 'seg') what = `${e.side ? 'server → client' : 'client → server'}: segment ${e.seg}, ${S.abs ? e.alabel : e.label}` +
    (e.lost ? ' — lost' : e.ta >= 0 ? ` — arrives at ${secs(e.ta)}` : '');
  else if (e.k === 'state') what = `${e.side ? 'server' : 'client'}: ${e.from} → ${e.to} (${e.text})`;
  else what = e.text;
  $('now').textContent = what;
}

function play() {
  if (S.playing) { clearInterval(S.playing); S.playing = null; $('play').textContent = '▶ play'; return; }
  if (S.cursor >= S.ladder.events.length - 1) setCursor(0);
  $('play').textContent = '❚❚ pause';
  S.playing = setInterval(() => {
    if (S.cursor >= S.ladder.events.length - 1) return play();
    setCursor(S.cursor + 1, true);
  }, 350);
}
function stop() { if (S.playing) play(); }

/* ---------- selecting and breaking segments ---------- */

function segEls() { return [...$('ladder').querySelectorAll('g.ev[data-seg]')]; }

function select(seg, openMenu, at) {
  for (const g of segEls()) g.classList.toggle('sel', +g.dataset.seg === seg);
  S.selected = seg;
  const g = $('ladder').querySelector(`g.ev[data-seg="${seg}"]`);
  if (!g) return hideMenu();
  g.focus({ preventScroll: true });
  const ev = S.ladder.events[+g.dataset.ev];
  setCursor(+g.dataset.ev, true);
  if (!openMenu || S.mode !== 'story') return hideMenu();
  const m = $('menu');
  $('menu-title').textContent = `Segment ${seg}: ${ev.label}`;
  m.hidden = false;
  const r = at || g.getBoundingClientRect();
  const x = Math.min(window.innerWidth - m.offsetWidth - 8, Math.max(8, (r.left + r.right) / 2 - m.offsetWidth / 2));
  const y = Math.min(window.innerHeight - m.offsetHeight - 8, r.bottom + 6);
  m.style.left = x + 'px'; m.style.top = Math.max(8, y) + 'px';
  m.querySelector('button').focus();
}
function hideMenu() { $('menu').hidden = true; }

function setFault(seg, kind) {
  hideMenu();
  if (!seg || S.mode !== 'story') return;
  S.faults = S.faults.filter(f => f.seg !== seg);
  if (kind !== 'clear') S.faults.push({ seg, kind });
  S.faults.sort((a, b) => a.seg - b.seg);
  S.keepCursorSeg = seg;
  go();
}

/* ---------- the side panel ---------- */

function drawChoices() {
  const cfg = S.story ? S.story.config : {};
  const box = $('switches');
  box.replaceChildren();
  for (const [k, label] of SWITCHES) {
    const on = cfg[k] === true;
    const b = el('button', { class: 'switch' + (on ? ' on' : '') + (k in S.choices ? ' set' : ''), 'aria-pressed': on,
      'data-key': k, text: `${label}: ${on ? 'on' : 'off'}` }, box);
    b.title = k in S.choices ? 'your choice (the story chose otherwise or the same)' : "the story's own choice";
    b.onclick = () => { S.choices[k] = on ? 'off' : 'on'; S.faults = []; go(); };
  }
  for (const [k, id] of Object.entries(FIELDS)) $(id).value = S.choices[k] ?? (k === 'ipv6' ? (cfg.ipv6 ? '1' : '0') : '');
  const ul = $('faults');
  ul.replaceChildren();
  for (const f of S.faults) {
    const li = el('li', {}, ul);
    el('span', { text: `${{ lose: 'lose', delay: 'delay', dup: 'duplicate' }[f.kind]} segment ${f.seg}` }, li);
    const x = el('button', { 'aria-label': `remove: ${f.kind} segment ${f.seg}`, text: '×' }, li);
    x.onclick = () => setFault(f.seg, 'clear');
  }
  if (!S.faults.length) el('li', { class: 'none', text: 'none: the story as the catalogue tells it' }, ul);
}

function drawExplain() {
  const st = S.story;
  $('summary').textContent = st ? st.summary : `${S.ladder.left} ↔ ${S.ladder.right}` +
    (S.ladder.inferred ? ' — states inferred from the wire' : '');
  const v = $('verdict');
  if (st) {
    const bad = st.checks.filter(c => !c.ok).length;
    v.className = 'verdict ' + (bad ? 'bad' : 'good');
    v.textContent = bad ? `${bad} of ${st.checks.length} of the catalogue's checks no longer hold: your choices changed the story`
      : `The story happened: all ${st.checks.length} checks hold`;
  } else { v.className = 'verdict'; v.textContent = `${S.ladder.segments} segments, ${S.ladder.retrans} retransmitted`; }
  const notes = $('notes');
  notes.replaceChildren();
  if (st) el('li', { class: 'lead', text: st.summary }, notes);
  for (const e of S.ladder.events) {
    if (e.k !== 'explain') continue;
    const li = el('li', {}, notes);
    const a = el('a', { href: '#', text: e.text }, li);
    a.onclick = ev => { ev.preventDefault(); stop(); setCursor(e.i, true); };
  }
  const checks = $('checks');
  checks.replaceChildren();
  for (const c of st ? st.checks : []) el('li', { class: c.ok ? 'ok' : 'fail', text: c.text }, checks);
  if (!st) el('li', { class: 'none', text: 'a capture: nothing to check, this is what the wire showed' }, checks);
}

/* ---------- running a story, opening a capture ---------- */

function runStory() {
  readHash();
  stop();
  hideMenu();
  showError('');
  S.mode = 'story';
  $('story').value = S.name;
  $('choices').hidden = false; $('story-pick').hidden = false; $('capture-pick').hidden = true;
  $('dl-pcap').disabled = false;
  $('absolute').checked = S.abs;
  const t0 = performance.now();
  const rc = withStrings((n, c) => wasm.E.sk_run(n, c), S.name, choiceString());
  if (rc < 0) { showError('cannot run ' + S.name); return; }
  S.story = JSON.parse(resultText());
  S.ladder = S.story;
  const t1 = performance.now();
  render();
  document.body.dataset.runMs = (t1 - t0).toFixed(1);            /* the stack, in WebAssembly */
  document.body.dataset.drawMs = (performance.now() - t1).toFixed(1); /* the browser drawing it */
  S.runs++;
  const ms = performance.now() - t0;
  document.body.dataset.story = S.name;
  document.body.dataset.runs = S.runs;
  document.body.dataset.ms = ms.toFixed(1);
  document.body.dataset.state = 'ready';
}

function render() {
  const ev = S.ladder.events;
  drawLadder();
  drawTsg();
  drawChoices();
  drawExplain();
  $('slider').max = Math.max(0, ev.length - 1);
  let at = ev.length - 1;
  if (S.keepCursorSeg) {
    const e = ev.find(x => x.k === 'seg' && x.seg === S.keepCursorSeg);
    if (e) at = e.i;
    S.selected = S.keepCursorSeg;
    S.keepCursorSeg = 0;
  }
  setCursor(at, !!S.selected);
  if (S.selected) for (const g of segEls()) g.classList.toggle('sel', +g.dataset.seg === S.selected);
}

async function openCapture(file) {
  stop(); hideMenu(); showError('');
  const buf = new Uint8Array(await file.arrayBuffer());
  const p = wasm.E.sk_alloc(buf.length);
  mem8().set(buf, p);
  const n = wasm.E.sk_capture(p, buf.length); /* the module keeps the bytes */
  const list = JSON.parse(resultText());
  if (n < 0) { showError(list.error || 'not a capture'); return; }
  if (n === 0) { showError('no TCP connection in ' + file.name); return; }
  S.mode = 'capture'; S.capture = { name: file.name, list }; S.story = null; S.faults = []; S.selected = 0;
  history.replaceState(null, '', location.pathname + '#capture');
  $('choices').hidden = true; $('story-pick').hidden = true; $('capture-pick').hidden = false;
  $('capture-name').textContent = file.name;
  const ol = $('conns');
  ol.replaceChildren();
  list.forEach((c, k) => {
    const li = el('li', {}, ol);
    const b = el('button', { 'data-conn': k, text: `${c.a} → ${c.b}` }, li);
    el('small', { text: ` ${c.segments} segments, ${c.bytes[0]} + ${c.bytes[1]} bytes` + (c.syn ? '' : ', no SYN seen') }, li);
    b.onclick = () => openConn(k);
  });
  openConn(0);
}

function openConn(k) {
  stop();
  if (wasm.E.sk_capture_conn(k) !== 0) { showError('cannot read connection ' + (k + 1)); return; }
  S.conn = k;
  S.ladder = JSON.parse(resultText());
  for (const b of $('conns').querySelectorAll('button')) b.classList.toggle('on', +b.dataset.conn === k);
  $('dl-pcap').disabled = true;
  render();
  $('summary').textContent = `${S.capture.name}, connection ${k + 1}: ${S.ladder.left} ↔ ${S.ladder.right}` +
    (S.ladder.inferred ? ' (states inferred from the wire)' : '');
  S.runs++;
  document.body.dataset.story = 'capture:' + k;
  document.body.dataset.runs = S.runs;
  document.body.dataset.state = 'ready';
}

/* ---------- downloads ---------- */

function download(name, bytes, type) {
  const a = el('a', { href: URL.createObjectURL(new Blob([bytes], { type })), download: name });
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}
const baseName = () => S.mode === 'story' ? S.name + (S.faults.length ? '-changed' : '') : 'capture-' + (S.conn + 1);

/* ---------- wiring ---------- */

function wire() {
  const sel = $('story');
  for (const g of S.catalogue) {
    const og = el('optgroup', { label: g.group }, sel);
    for (const s of g.stories) el('option', { value: s.name, text: `${s.name} — ${s.summary}` }, og);
  }
  sel.onchange = () => { S.name = sel.value; S.choices = {}; S.faults = []; S.selected = 0; go(); };
  for (const [k, id] of Object.entries(FIELDS)) $(id).onchange = () => { S.choices[k] = $(id).value; S.faults = []; go(); };
  $('reset').onclick = () => { S.choices = {}; S.faults = []; S.selected = 0; go(); };
  $('copy-link').onclick = () => navigator.clipboard && navigator.clipboard.writeText(location.href);
  $('absolute').onchange = () => { S.abs = $('absolute').checked; if (S.mode === 'story') go(); else render(); };
  $('slider').oninput = () => { stop(); setCursor(+$('slider').value); };
  $('play').onclick = play;
  $('first').onclick = () => { stop(); setCursor(0, true); };
  $('last').onclick = () => { stop(); setCursor(S.ladder.events.length - 1, true); };
  $('back').onclick = () => { stop(); setCursor(S.cursor - 1, true); };
  $('fwd').onclick = () => { stop(); setCursor(S.cursor + 1, true); };
  $('capture-file').onchange = e => e.target.files[0] && openCapture(e.target.files[0]);
  $('mode-capture-label').onkeydown = e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('capture-file').click(); } };
  $('mode-story').onclick = () => { S.mode = 'story'; go(); };
  $('dl-pcap').onclick = () => { if (wasm.E.sk_pcap() === 0) download(baseName() + '.pcap', result(), 'application/vnd.tcpdump.pcap'); };
  $('dl-svg').onclick = () => { if (wasm.E.sk_svg(S.abs ? 1 : 0) === 0) download(baseName() + '.svg', result(), 'image/svg+xml'); };
  $('dl-tsg').onclick = () => { if (wasm.E.sk_tsg() === 0) download(baseName() + '-tsg.svg', result(), 'image/svg+xml'); };
  for (const b of $('menu').querySelectorAll('button')) b.onclick = () => setFault(S.selected, b.dataset.act);

  /* Clicks and hovers on the drawings. */
  $('ladder').addEventListener('click', e => {
    const g = e.target.closest('g.ev');
    if (!g) return hideMenu();
    stop();
    if (g.dataset.seg) select(+g.dataset.seg, true, { left: e.clientX, right: e.clientX, bottom: e.clientY });
    else { hideMenu(); setCursor(+g.dataset.ev); }
  });
  const link = (from, to, sel) => {
    from.addEventListener('mouseover', e => {
      const m = e.target.closest(sel);
      for (const x of to.querySelectorAll('.hl')) x.classList.remove('hl');
      for (const x of from.querySelectorAll('.hl')) x.classList.remove('hl');
      if (!m || !m.dataset.ev) return;
      m.classList.add('hl');
      for (const x of to.querySelectorAll(`[data-ev="${m.dataset.ev}"]`)) x.classList.add('hl');
    });
  };
  link($('ladder'), $('tsg'), 'g.ev');
  link($('tsg'), $('ladder'), '.mk');
  document.addEventListener('click', e => { if (!e.target.closest('#menu') && !e.target.closest('#ladder')) hideMenu(); });

  document.addEventListener('keydown', e => {
    if (e.target.matches('input[type=number], select') || e.ctrlKey || e.metaKey || e.altKey) return;
    const segs = segEls().map(g => +g.dataset.seg);
    const k = e.key;
    if (k === 'Escape') return hideMenu();
    if (k === ' ' && !e.target.matches('button')) { e.preventDefault(); play(); }
    else if (k === 'ArrowRight' && !e.target.matches('input')) { stop(); setCursor(S.cursor + 1, true); }
    else if (k === 'ArrowLeft' && !e.target.matches('input')) { stop(); setCursor(S.cursor - 1, true); }
    else if (k === 'Home') { stop(); setCursor(0, true); }
    else if (k === 'End') { stop(); setCursor(S.ladder.events.length - 1, true); }
    else if (k === 'j' || k === 'k') {
      stop();
      const i = segs.indexOf(S.selected);
      const next = k === 'j' ? segs[Math.min(segs.length - 1, i + 1)] : segs[Math.max(0, i < 0 ? 0 : i - 1)];
      select(next, false);
    } else if (k === 'Enter' && S.selected && e.target.closest && e.target.closest('g.ev')) select(S.selected, true);
    else if (k === 'x') setFault(S.selected, 'lose');
    else if (k === 'd') setFault(S.selected, 'delay');
    else if (k === 'u') setFault(S.selected, 'dup');
    else if (k === 'c') setFault(S.selected, 'clear');
    else if (k === 'a') { $('absolute').checked = !$('absolute').checked; $('absolute').onchange(); }
    else if ((k === 'n' || k === 'p') && S.mode === 'story') {
      const i = S.names.indexOf(S.name), n = S.names.length;
      S.name = S.names[(i + (k === 'n' ? 1 : n - 1)) % n]; S.choices = {}; S.faults = []; S.selected = 0; go();
    } else return;
    e.preventDefault();
  });
  window.addEventListener('hashchange', () => { if (location.hash !== '#capture') runStory(); });
}

async function main() {
  const t0 = performance.now();
  try {
    await loadWasm();
    document.body.dataset.loadMs = (performance.now() - t0).toFixed(1);
    wasm.E.sk_catalogue();
    S.catalogue = JSON.parse(resultText());
    S.names = S.catalogue.flatMap(g => g.stories.map(s => s.name));
    buildFsm();
    wire();
    runStory();
    document.body.dataset.firstDrawMs = (performance.now() - t0).toFixed(1);
  } catch (err) {
    showError('The explorer could not start: ' + err.message);
    document.body.dataset.state = 'error';
    throw err;
  }
}

window.explorer = S; /* for the console (and the browser tests) */
main();
