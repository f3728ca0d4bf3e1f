// crema coordinator dashboard. Talks only to the server that served it (/v1/…); no
// external requests. The API key lives in sessionStorage (this tab only).
'use strict';
(function () {
  const RES_COLOURS = {
    money: '#b8860b', volunteers: '#6a3d9a', clothing: '#d147a3', shelter: '#8c564b', medical: '#d62728',
    food: '#ff7f0e', water: '#1f77b4', transport: '#17becf', power: '#bcbd22', blood: '#7f0000', other: '#7f7f7f',
  };
  const NONE_COLOUR = '#444';
  const MAX_ROWS = 5000;
  const state = {
    key: sessionStorage.getItem('crema_key') || '',
    role: '', requests: [], offers: [], sort: 'urgency', selected: null, lastEventId: null,
    reloadTimer: null, stream: null,
  };
  const $ = (id) => document.getElementById(id);

  // ---------- helpers ----------
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function colour(p) { return (p.resources && p.resources.length) ? (RES_COLOURS[p.resources[0]] || NONE_COLOUR) : NONE_COLOUR; }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1Z') : ''; }
  function pct(x) { return Math.round(Math.max(0, Math.min(1, x)) * 100); }
  function toast(msg) {
    const t = $('toast'); t.textContent = msg; t.classList.add('show');
    clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove('show'), 2500);
  }
  async function api(path, opts = {}) {
    const headers = Object.assign({ Authorization: 'Bearer ' + state.key }, opts.headers || {});
    const res = await fetch(path, Object.assign({}, opts, { headers }));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401) { showLogin('Your key was not accepted: ' + (body && body.error ? body.error.message : '')); throw new Error('unauthorized'); }
    if (!res.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
    return body;
  }

  // ---------- sign-in ----------
  function showLogin(msg) {
    $('login-error').textContent = msg || '';
    if (!$('login').open) $('login').showModal();
    $('key-input').focus();
  }
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    state.key = $('key-input').value.trim();
    try {
      await start();
      sessionStorage.setItem('crema_key', state.key);
      $('login').close();
    } catch (e) {
      if (e.message !== 'unauthorized') $('login-error').textContent = e.message;
    }
  });
  $('logout').addEventListener('click', () => { sessionStorage.removeItem('crema_key'); location.reload(); });

  // ---------- map ----------
  const map = L.map('map', { worldCopyJump: true, minZoom: 2, maxZoom: 14, zoomControl: true, attributionControl: false, keyboard: true })
    .setView([20, 10], 2);
  fetch('/countries.geojson').then((r) => r.json()).then((gj) => {
    L.geoJSON(gj, { interactive: false, style: { color: '#8a8a8a', weight: 0.7, fillColor: '#f4f1ea', fillOpacity: 1 } })
      .addTo(map).bringToBack();
  }).catch(() => toast('Base map could not be loaded'));
  const requestLayer = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45, chunkedLoading: true });
  const offerLayer = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45, chunkedLoading: true,
    iconCreateFunction: (c) => L.divIcon({ html: '<div><span>' + c.getChildCount() + '</span></div>', className: 'marker-cluster marker-cluster-offers', iconSize: [34, 34] }) });
  map.addLayer(offerLayer); map.addLayer(requestLayer);
  const markers = new Map();

  function icon(p, kind) {
    return L.divIcon({
      className: 'marker-' + kind,
      html: '<div class="mk ' + kind + ' ' + esc(p.status) + '" style="background:' + colour(p) + '"></div>',
      iconSize: [16, 16], iconAnchor: [8, 8],
    });
  }
  function addMarker(p, kind) {
    if (p.lat == null || p.lon == null) return;
    const m = L.marker([p.lat, p.lon], {
      icon: icon(p, kind), keyboard: true,
      title: (kind === 'request' ? 'Request' : 'Offer') + ' (' + (p.resources.join(', ') || 'no resource') + '): ' + p.text.slice(0, 80),
      alt: kind,
    });
    if (kind === 'request') {
      m.on('click', () => openCard(p.id));
      markers.set(p.id, m);
    } else {
      m.bindPopup(() => '<strong>Offer</strong> ' + esc(p.resources.join(', ')) + '<br>' + esc(p.text) + '<br><small>' + esc(when(p.created_at)) + '</small>');
    }
    (kind === 'request' ? requestLayer : offerLayer).addLayer(m);
  }
  function legend() {
    $('legend').innerHTML = Object.entries(RES_COLOURS).map(([k, c]) => '<span><i style="background:' + c + '"></i>' + k + '</span>').join('') +
      '<span>● request ◆ offer</span>';
  }

  // ---------- drawn area (the bbox filter) ----------
  // A rectangle drawn on the map ("Draw area", then drag; or shift-drag, which replaces
  // Leaflet's shift-drag zoom) or the current view ("Use map view", for the keyboard).
  const area = { bbox: '', rect: null, drawing: false, start: null, temp: null, justDrew: false };
  const mapEl = $('map');
  const AREA_STYLE = { className: 'area-rect', color: '#0b5cad', weight: 2, dashArray: '6 4', fillColor: '#0b5cad', fillOpacity: 0.06, interactive: false };
  map.boxZoom.disable();
  function wrapLon(x) { return ((x + 180) % 360 + 360) % 360 - 180; }
  // "west,south,east,north" for the API; west > east when the box crosses the antimeridian.
  function bboxOf(b) {
    let w = b.getWest(), e = b.getEast();
    if (e - w >= 360) { w = -180; e = 180; } else {
      w = wrapLon(w);
      e = wrapLon(e);
      if (e === -180) e = 180;
    }
    return [w, Math.max(-90, b.getSouth()), e, Math.min(90, b.getNorth())].map((x) => x.toFixed(4)).join(',');
  }
  function setArea(bounds) {
    if (area.rect) { area.rect.remove(); area.rect = null; }
    area.bbox = bounds ? bboxOf(bounds) : '';
    const out = $('area-text');
    if (bounds) {
      area.rect = L.rectangle(bounds, AREA_STYLE).addTo(map);
      const [w, s, e, n] = area.bbox.split(',').map(Number);
      out.textContent = w.toFixed(2) + '…' + e.toFixed(2) + ' lon, ' + s.toFixed(2) + '…' + n.toFixed(2) + ' lat';
    } else {
      out.textContent = 'anywhere';
    }
    out.dataset.bbox = area.bbox;
    $('area-clear').disabled = !bounds;
    scheduleReload();
  }
  function drawMode(on) {
    area.drawing = on;
    $('area-draw').setAttribute('aria-pressed', String(on));
    mapEl.classList.toggle('drawing', on);
    if (on) { map.dragging.disable(); toast('Drag a rectangle on the map (Esc cancels)'); } else map.dragging.enable();
  }
  function endDrag(ev, keep) {
    if (!area.start) return;
    const start = area.start;
    area.start = null;
    if (area.temp) { area.temp.remove(); area.temp = null; }
    if (mapEl.hasPointerCapture(ev.pointerId)) mapEl.releasePointerCapture(ev.pointerId);
    drawMode(false);
    if (!keep) return;
    const a = map.latLngToContainerPoint(start), b = map.mouseEventToContainerPoint(ev);
    area.justDrew = true;
    setTimeout(() => { area.justDrew = false; }, 0);
    if (Math.abs(a.x - b.x) < 5 || Math.abs(a.y - b.y) < 5) { toast('The area is too small: drag a larger rectangle'); return; }
    setArea(L.latLngBounds(start, map.mouseEventToLatLng(ev)));
  }
  // Capture phase, and preventDefault on pointerdown so Leaflet sees no mousedown: the map
  // does not pan while a rectangle is drawn.
  mapEl.addEventListener('pointerdown', (ev) => {
    if (!(area.drawing || ev.shiftKey) || ev.button !== 0) return;
    ev.preventDefault(); ev.stopPropagation();
    if (!area.drawing) drawMode(true);
    area.start = map.mouseEventToLatLng(ev);
    mapEl.setPointerCapture(ev.pointerId);
    area.temp = L.rectangle(L.latLngBounds(area.start, area.start), AREA_STYLE).addTo(map);
  }, true);
  mapEl.addEventListener('pointermove', (ev) => {
    if (area.start && area.temp) area.temp.setBounds(L.latLngBounds(area.start, map.mouseEventToLatLng(ev)));
  }, true);
  mapEl.addEventListener('pointerup', (ev) => endDrag(ev, true), true);
  mapEl.addEventListener('pointercancel', (ev) => endDrag(ev, false), true);
  // The click that ends a drag must not open a marker's card.
  mapEl.addEventListener('click', (ev) => { if (area.justDrew) { ev.stopPropagation(); ev.preventDefault(); } }, true);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && area.drawing) { area.start = null; if (area.temp) { area.temp.remove(); area.temp = null; } drawMode(false); }
  });
  $('area-draw').addEventListener('click', () => drawMode(!area.drawing));
  $('area-view').addEventListener('click', () => setArea(map.getBounds()));
  $('area-clear').addEventListener('click', () => { setArea(null); $('area-draw').focus(); });

  // ---------- data ----------
  function filterQuery() {
    const q = new URLSearchParams();
    const r = $('f-resource').value, s = $('f-status').value, l = $('f-lang').value;
    if (r) q.set('resource', r);
    if (s) q.set('status', s);
    if (l) q.set('lang', l);
    if ($('f-since').value) q.set('since', new Date($('f-since').value).toISOString());
    if ($('f-until').value) q.set('until', new Date($('f-until').value).toISOString());
    if (area.bbox) q.set('bbox', area.bbox);
    return q;
  }
  async function fetchAll(path, q, field) {
    const rows = [];
    q.set('limit', '1000');
    for (;;) {
      const page = await api(path + '?' + q.toString());
      rows.push(...page[field]);
      if (!page.next_cursor || rows.length >= MAX_ROWS) break;
      q.set('cursor', page.next_cursor);
    }
    return rows;
  }
  async function reload() {
    const q = filterQuery();
    const oq = filterQuery(); oq.delete('status');
    const [reqs, offs] = await Promise.all([
      fetchAll('/v1/requests', q, 'requests'),
      $('f-offers').checked ? fetchAll('/v1/offers', oq, 'offers') : Promise.resolve([]),
    ]);
    state.requests = reqs; state.offers = offs;
    requestLayer.clearLayers(); offerLayer.clearLayers(); markers.clear();
    offs.forEach((p) => addMarker(p, 'offer'));
    reqs.forEach((p) => addMarker(p, 'request'));
    renderList(); renderCounts();
    $('list').dataset.bbox = area.bbox;  // which area the list shows (the browser test waits on it)
  }
  function scheduleReload() { clearTimeout(state.reloadTimer); state.reloadTimer = setTimeout(() => reload().catch((e) => toast(e.message)), 400); }

  function renderCounts() {
    const counts = {};
    state.requests.forEach((p) => (p.resources.length ? p.resources : ['(none)']).forEach((r) => { counts[r] = (counts[r] || 0) + 1; }));
    $('counts').innerHTML = Object.entries(counts).sort((a, b) => b[1] - a[1])
      .map(([k, n]) => '<li><i style="background:' + (RES_COLOURS[k] || NONE_COLOUR) + '"></i>' + esc(k) + ' <strong>' + n + '</strong></li>').join('');
  }
  function sorted() {
    const rows = state.requests.slice();
    if (state.sort === 'urgency') rows.sort((a, b) => b.urgency - a.urgency || b.created_at_ms - a.created_at_ms);
    else rows.sort((a, b) => b.created_at_ms - a.created_at_ms);
    return rows;
  }
  function renderList() {
    const rows = sorted();
    $('list-count').textContent = '(' + rows.length + (rows.length >= MAX_ROWS ? '+' : '') + ')';
    const shown = rows.slice(0, 300);
    $('list').tBodies[0].innerHTML = shown.map((p) =>
      '<tr tabindex="0" data-id="' + esc(p.id) + '"' + (p.id === state.selected ? ' class="sel"' : '') + '>' +
      '<td>' + esc(when(p.created_at).slice(5, 16)) + '</td>' +
      '<td class="txt"><i class="dot" style="color:' + colour(p) + '">●</i> ' + esc(p.text.slice(0, 90)) + '</td>' +
      '<td><span class="status ' + esc(p.status) + '" id="status-' + esc(p.id) + '">' + esc(p.status.replace('_', ' ')) + '</span></td>' +
      '<td>' + p.n_matches + '</td></tr>').join('');
  }
  $('list').addEventListener('click', (ev) => { const tr = ev.target.closest('tr[data-id]'); if (tr) openCard(tr.dataset.id); });
  $('list').addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    const tr = ev.target.closest('tr[data-id]'); if (tr) { ev.preventDefault(); openCard(tr.dataset.id); }
  });
  for (const s of ['urgency', 'recent']) {
    $('sort-' + s).addEventListener('click', () => {
      state.sort = s;
      $('sort-urgency').setAttribute('aria-pressed', String(s === 'urgency'));
      $('sort-recent').setAttribute('aria-pressed', String(s === 'recent'));
      renderList();
    });
  }
  ['f-resource', 'f-status', 'f-lang', 'f-since', 'f-until', 'f-offers'].forEach((id) => $(id).addEventListener('change', scheduleReload));

  // ---------- match card ----------
  function bar(label, v) {
    return '<span>' + label + '</span><span class="bar" role="img" aria-label="' + label + ' ' + v.toFixed(2) + '"><b style="width:' + pct(v) + '%"></b></span><span>' + v.toFixed(2) + '</span>';
  }
  function quantities(list) {
    if (!Array.isArray(list) || !list.length) return '';
    return list.map((q) => esc((q.amount || q.text || '') + (q.unit ? ' ' + q.unit : ''))).join(', ');
  }
  async function openCard(id) {
    state.selected = id;
    let data;
    try { data = await api('/v1/requests/' + encodeURIComponent(id) + '/matches'); } catch (e) { toast(e.message); return; }
    const r = data.request;
    const canDecide = state.role === 'dispatcher' || state.role === 'admin';
    let html = '<p class="req">' + esc(r.text) + '</p>' +
      '<p class="meta">' + esc(when(r.created_at)) + ' · ' + esc(r.lang) + ' · ' + esc(r.resources.join(', ') || 'no resource') +
      (r.place ? ' · ' + esc(r.place) : '') + (r.user ? ' · ' + esc(r.user) : '') +
      ' · <span class="status ' + esc(r.status) + '" id="card-status">' + esc(r.status.replace('_', ' ')) + '</span>' +
      ' · urgency ' + r.urgency.toFixed(2) + '</p>';
    if (r.extraction && r.extraction.quantities && r.extraction.quantities.length) html += '<p class="meta">Asks for: ' + quantities(r.extraction.quantities) + '</p>';
    if (!data.matches.length) html += '<p>No matching offers yet (within the time and distance windows).</p>';
    data.matches.forEach((m) => {
      const o = m.offer;
      const words = m.shared_words.length ? m.shared_words.map((w) => '<mark>' + esc(w) + '</mark>').join(' ') : '—';
      html += '<div class="offer" data-offer="' + esc(o.id) + '">' +
        '<strong>#' + m.rank + '</strong> score ' + m.score.toFixed(3) + ' · ' + (m.km == null ? 'distance unknown' : m.km.toFixed(1) + ' km') +
        ' · ' + m.hours_apart.toFixed(1) + ' h apart' +
        '<p>' + esc(o.text) + '</p>' +
        '<div class="scores">' + bar('S_text', m.s_text) + bar('W_time', m.w_time) + bar('W_loc', m.w_loc) + '</div>' +
        '<div class="meta">Shared resources: ' + (esc(m.shared_resources.join(', ')) || '—') + (quantities(m.quantities.offer) ? ' · offers ' + quantities(m.quantities.offer) : '') + '</div>' +
        '<div class="meta words">Words in common: ' + words + '</div>' +
        (m.decision ? '<p class="decided">Decision: ' + esc(m.decision.decision) + (m.decision.note ? ' — ' + esc(m.decision.note) : '') + ' (' + esc(when(m.decision.at)) + ')</p>' : '') +
        (canDecide ? '<div class="decide"><input type="text" aria-label="Note for offer ' + m.rank + '" placeholder="note (optional)" maxlength="500">' +
          '<button type="button" class="confirm" data-d="confirm" data-mid="' + esc(m.match_id) + '">Confirm</button>' +
          '<button type="button" class="fulfilled" data-d="fulfilled" data-mid="' + esc(m.match_id) + '">Fulfilled</button>' +
          '<button type="button" class="reject" data-d="reject" data-mid="' + esc(m.match_id) + '">Reject</button></div>' : '') +
        '</div>';
    });
    $('card-body').innerHTML = html;
    $('card').hidden = false;
    $('card').focus();
    renderList();
  }
  $('card-close').addEventListener('click', () => { $('card').hidden = true; state.selected = null; renderList(); });
  $('card-body').addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-d]');
    if (!b) return;
    const note = b.parentElement.querySelector('input').value;
    b.disabled = true;
    try {
      const out = await api('/v1/matches/' + encodeURIComponent(b.dataset.mid) + '/decision', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ decision: b.dataset.d, note }),
      });
      toast('Recorded: ' + out.decision + (out.status ? ' — request is ' + out.status.replace('_', ' ') : ''));
      updateStatus(out.match_id.split('~')[0], out.status);
      if (state.selected) openCard(state.selected);
    } catch (e) { toast('Not recorded: ' + e.message); b.disabled = false; }
  });
  function updateStatus(id, status) {
    if (!status) return;
    const p = state.requests.find((x) => x.id === id);
    if (p) p.status = status;
    const el = $('status-' + id);
    if (el) { el.textContent = status.replace('_', ' '); el.className = 'status ' + status; }
    if (state.selected === id && $('card-status')) { $('card-status').textContent = status.replace('_', ' '); $('card-status').className = 'status ' + status; }
    const m = markers.get(id);
    if (m && p) m.setIcon(icon(p, 'request'));
  }

  // ---------- exports ----------
  function download(name, type, text) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
  function csvCell(v) { const s = String(v == null ? '' : v); return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function rowsToCsv(rows) { return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'; }
  const COLS = ['id', 'created_at', 'label', 'status', 'resources', 'lat', 'lon', 'place', 'country', 'lang', 'n_matches', 'urgency', 'text'];
  function flat(p) { return COLS.map((c) => (c === 'resources' ? p.resources.join(';') : p[c])); }
  $('export-csv').addEventListener('click', () => download('crema-requests.csv', 'text/csv', rowsToCsv([COLS, ...sorted().map(flat)])));
  $('export-hxl').addEventListener('click', () => {
    const head = ['id', 'created_at', 'status', 'location', 'lat', 'lon', 'sector', 'item', 'quantity', 'contact', 'text'];
    const tags = ['#meta+id', '#date+reported', '#status', '#loc+name', '#geo+lat', '#geo+lon', '#sector', '#item+name', '#value', '#contact', '#description'];
    const rows = sorted().map((p) => {
      const q = p.extraction && p.extraction.quantities ? p.extraction.quantities.map((x) => x.amount || x.text).join(';') : '';
      const c = p.extraction && Array.isArray(p.extraction.contacts) ? p.extraction.contacts.map((x) => x.value || x.text).join(';') : (p.user || '');
      return [p.id, p.created_at, p.status, p.place, p.lat, p.lon, p.resources.join(';'), p.resources[0] || '', q, c, p.text];
    });
    download('crema-requests-hxl.csv', 'text/csv', rowsToCsv([head, tags, ...rows]));
  });
  $('export-geojson').addEventListener('click', () => {
    const fc = { type: 'FeatureCollection', features: sorted().filter((p) => p.lat != null).map((p) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: Object.fromEntries(COLS.filter((c) => c !== 'lat' && c !== 'lon').map((c) => [c, c === 'resources' ? p.resources : p[c]])),
    })) };
    download('crema-requests.geojson', 'application/geo+json', JSON.stringify(fc));
  });

  // ---------- live updates (SSE over fetch, so the key goes in a header, not the URL) ----------
  function logEvent(ev) {
    const li = document.createElement('li');
    const d = ev.data || {};
    let text = ev.type.replace('_', ' ');
    if (ev.type === 'status_change') text += ': request ' + (d.request_id || '') + ' ' + (d.from || '') + ' → ' + (d.to || '');
    else if (ev.type === 'new_match') text += ': offer ' + (d.offer_id || '') + ' for request ' + (d.request_id || '');
    else if (ev.type === 'new_request') text += ': ' + (d.request_id || '');
    li.textContent = when(ev.at).slice(11, 19) + ' ' + text;
    li.dataset.type = ev.type;
    const log = $('event-log');
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 50) log.removeChild(log.lastChild);
  }
  function handleEvent(ev) {
    logEvent(ev);
    const d = ev.data || {};
    if (ev.type === 'status_change') updateStatus(d.request_id, d.to);
    else scheduleReload();
    if (ev.type === 'new_match' && state.selected && d.request_id === state.selected) openCard(state.selected);
  }
  function setLive(on) { const l = $('live'); l.textContent = on ? '● live' : '○ offline'; l.className = 'live ' + (on ? 'on' : 'off'); }
  async function streamEvents() {
    for (;;) {
      const ctrl = new AbortController();
      state.stream = ctrl;
      try {
        const url = '/v1/events' + (state.lastEventId != null ? '?after=' + state.lastEventId : '');
        const res = await fetch(url, { headers: { Authorization: 'Bearer ' + state.key, Accept: 'text/event-stream' }, signal: ctrl.signal });
        if (res.status === 401) return;
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setLive(true);
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const chunk = buf.slice(0, i); buf = buf.slice(i + 2);
            const data = chunk.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue;
            try { const ev = JSON.parse(data); state.lastEventId = ev.id; handleEvent(ev); } catch (e) { /* a malformed event is skipped */ }
          }
        }
      } catch (e) { /* reconnect below */ }
      setLive(false);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  // ---------- start ----------
  async function start() {
    const me = await api('/v1/me');
    state.role = me.role;
    $('role').textContent = me.name + ' · ' + me.role;
    $('logout').hidden = false;
    document.body.dataset.role = me.role;
    const stats = await api('/v1/stats');
    const langs = (stats.requests_by_lang || []).map((r) => r.key);
    $('f-lang').innerHTML = '<option value="">all</option>' + langs.map((l) => '<option>' + esc(l) + '</option>').join('');
    const resources = Object.keys(RES_COLOURS);
    $('f-resource').innerHTML = '<option value="">all</option>' + resources.map((r) => '<option>' + r + '</option>').join('');
    await reload();
    const placed = state.requests.filter((p) => p.lat != null);
    if (placed.length) map.fitBounds(L.latLngBounds(placed.map((p) => [p.lat, p.lon])).pad(0.2), { maxZoom: 8 });
    document.body.dataset.ready = '1';
    if (!state.stream) streamEvents();
  }
  legend();
  // A key in the URL fragment (#key=…, never sent to the server) signs in and is then removed.
  const m = location.hash.match(/key=([^&]+)/);
  if (m) { state.key = decodeURIComponent(m[1]); sessionStorage.setItem('crema_key', state.key); history.replaceState(null, '', location.pathname); }
  if (state.key) start().catch((e) => { if (e.message !== 'unauthorized') toast(e.message); });
  else showLogin();
})();
