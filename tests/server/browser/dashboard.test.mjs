// Browser test of the dashboard in real headless Chromium (playwright-core, Debian's
// chromium): a store made by `crema run` on data/sample, crema-server on it, then a
// dispatcher page and a viewer page. Checks: no console errors, no external requests,
// markers drawn, a match card opened from the list (mouse and keyboard), a confirm moves
// the request's status in the API and reaches the second page over SSE, the viewer sees
// no handles or decision buttons and is refused by the API, first-load weight, phone
// width. Writes screenshots and report.json to --out.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const { server: SERVER, crema: CREMA, root: ROOT, out: OUT, chromium: CHROMIUM } = args;
const { chromium } = await import(path.join(ROOT, 'web/node_modules/playwright-core/index.mjs'));

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

const work = fs.mkdtempSync(path.join(OUT, 'run-'));
const db = path.join(work, 'crema.sqlite');
console.log('# crema run on data/sample →', db);
const run = spawnSync(CREMA, ['run', '--in', path.join(ROOT, 'data/sample/sample_posts.jsonl'), '--out', work, '--quiet'], { encoding: 'utf8' });
if (run.status !== 0) { console.error(run.stderr); process.exit(1); }
const key = (role) => {
  const r = spawnSync(SERVER, ['--db', db, '--create-key', 'browser-' + role, '--role', role], { encoding: 'utf8' });
  if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
  return r.stdout.trim();
};
const dispatcherKey = key('dispatcher');
const viewerKey = key('viewer');
const portFile = path.join(work, 'port');
const srv = spawn(SERVER, ['--db', db, '--port', '0', '--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
let port = 0;
for (let i = 0; i < 600 && !port; i++) {
  await sleep(100);
  if (fs.existsSync(portFile)) port = parseInt(fs.readFileSync(portFile, 'utf8'), 10) || 0;
}
if (!port) { console.error('crema-server did not start'); srv.kill('SIGKILL'); process.exit(1); }
const base = `http://127.0.0.1:${port}`;
const apiGet = async (p, k) => (await fetch(base + p, { headers: { Authorization: 'Bearer ' + k } })).json();
// Every request id the API lists for a query string (all pages).
async function allRequestIds(query) {
  const ids = new Set();
  let cursor = '';
  for (;;) {
    const page = await apiGet(`/v1/requests?limit=1000&${query}${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`, dispatcherKey);
    page.requests.forEach((r) => ids.add(r.id));
    if (!page.next_cursor) return ids;
    cursor = page.next_cursor;
  }
}

const report = {};
let ctx = null;
try {
  // A fresh profile directory per run (--user-data-dir, passed the way playwright wants it).
  ctx = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  const external = [];
  function watch(page, name) {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url()); });
  }
  const page = await ctx.newPage();
  watch(page, 'dispatcher');
  await page.goto(`${base}/#key=${encodeURIComponent(dispatcherKey)}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  check(!page.url().includes('key='), 'the key is removed from the URL');
  await page.waitForSelector('.marker-request, .marker-cluster', { timeout: 20000 });
  const markers = await page.locator('.marker-request, .marker-offer, .marker-cluster').count();
  check(markers > 0, `markers on the map (${markers} markers and clusters)`);
  const countries = await page.locator('path.leaflet-interactive, .leaflet-overlay-pane path').count();
  check(countries > 100, `Natural Earth countries drawn (${countries} paths)`);
  const rows = await page.locator('#list tbody tr').count();
  check(rows > 0, `list view has rows (${rows})`);

  // First-load weight as transferred (gzip where the browser asked for it).
  const weight = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/v1/'));
    return { total: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0), decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0) };
  });
  report.first_load_transfer_bytes = weight.total;
  report.first_load_decoded_bytes = weight.decoded;
  check(weight.total > 0 && weight.total < 300 * 1024, `first load ${Math.round(weight.total / 1024)} KB transferred (< 300 KB; ${Math.round(weight.decoded / 1024)} KB decoded)`);

  // A request with matches, from the list (rows carry n_matches in the 4th cell).
  const target = await page.evaluate(() => {
    for (const tr of document.querySelectorAll('#list tbody tr')) {
      if (parseInt(tr.cells[3].textContent, 10) > 0 && tr.querySelector('.status.open')) return tr.dataset.id;
    }
    return null;
  });
  check(target !== null, `an open request with matches is listed (${target})`);

  // The second page (a viewer) listens for live events.
  const viewer = await ctx.newPage();
  watch(viewer, 'viewer');
  await viewer.goto(base + '/');
  await viewer.fill('#key-input', viewerKey);
  await viewer.click('#login-btn');
  await viewer.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await viewer.waitForSelector('#live.on', { timeout: 20000 });
  check(true, 'viewer signed in through the form and the live stream is connected');

  await page.click(`#list tbody tr[data-id="${target}"]`);
  await page.waitForSelector('#card:not([hidden]) .offer', { timeout: 20000 });
  const cardText = await page.locator('#card').innerText();
  check(/S_text/.test(cardText) && /W_time/.test(cardText) && /W_loc/.test(cardText), 'match card shows S_text, W_time, W_loc');
  check(/h apart/.test(cardText) && /(km|distance unknown)/.test(cardText), 'match card shows the time gap and distance');
  await page.screenshot({ path: path.join(OUT, 'dashboard.png') });
  await page.locator('#card .offer input').first().fill('browser test: truck sent');
  await page.locator('#card .offer button.confirm').first().click();
  await page.waitForFunction(() => {
    const s = document.getElementById('card-status');
    return s && !s.classList.contains('open');
  }, null, { timeout: 20000 });
  const after = await apiGet('/v1/posts/' + encodeURIComponent(target), dispatcherKey);
  check(after.status === 'served' || after.status === 'partly_served', `confirm moved the status in the API (${after.status})`);
  await viewer.waitForSelector(`#event-log li[data-type="status_change"]`, { timeout: 20000 });
  const logText = await viewer.locator('#event-log').innerText();
  check(logText.includes(target), 'the status_change event reached the second page over SSE');
  const viewerStatus = await viewer.locator(`#status-${CSS_escape(target)}`).innerText().catch(() => '');
  check(viewerStatus === '' || !viewerStatus.includes('open'), `viewer's list row updated live (${viewerStatus || 'row not shown'})`);

  // Viewer: same card, no decision buttons, no handles; the API refuses a decision.
  await viewer.evaluate((id) => { const tr = document.querySelector(`#list tbody tr[data-id="${id}"]`); if (tr) tr.click(); }, target);
  const viewerHasRow = await viewer.locator(`#list tbody tr[data-id="${target}"]`).count();
  if (viewerHasRow) {
    await viewer.waitForSelector('#card:not([hidden]) .offer', { timeout: 20000 });
    check((await viewer.locator('#card .decide button').count()) === 0, 'viewer sees no confirm/reject buttons');
  }
  const dispatcherView = await apiGet('/v1/requests/' + encodeURIComponent(target) + '/matches', dispatcherKey);
  const viewerView = await apiGet('/v1/requests/' + encodeURIComponent(target) + '/matches', viewerKey);
  const handle = dispatcherView.request.user;
  check(!handle || !JSON.stringify(viewerView).includes(handle), `viewer's API answer hides the user handle (${handle ? 'masked' : 'no handle'})`);
  const denied = await fetch(`${base}/v1/matches/${encodeURIComponent(dispatcherView.matches[0].match_id)}/decision`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + viewerKey, 'Content-Type': 'application/json' }, body: '{"decision":"reject"}',
  });
  check(denied.status === 403, `viewer cannot decide (HTTP ${denied.status})`);

  // Keyboard: focus a list row and press Enter.
  await page.click('#card-close');
  await page.locator('#list tbody tr').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#card:not([hidden])', { timeout: 20000 });
  check(true, 'a list row opens its card with the keyboard');
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('button, input, select')]
    .filter((e) => !e.closest('[hidden]') && !(e.getAttribute('aria-label') || e.textContent.trim() || (e.labels && e.labels.length))).length);
  check(unlabelled === 0, `every control has a label (${unlabelled} without)`);

  // Drawn-area filter: draw a rectangle around one request marker, the list must shrink to
  // exactly the posts the API returns for that bbox; then shift-drag, the keyboard path
  // ("Use map view") and clearing.
  await page.click('#card-close');
  const totalRequests = await listCount(page);
  const spot = await page.evaluate(() => {
    const map = document.getElementById('map').getBoundingClientRect();
    const inside = (r) => r.left > map.left + 40 && r.right < map.right - 40 && r.top > map.top + 40 && r.bottom < map.bottom - 40;
    const pick = [...document.querySelectorAll('.marker-request, .marker-cluster:not(.marker-cluster-offers)')]
      .map((e) => e.getBoundingClientRect()).filter(inside);
    if (!pick.length) return null;
    const r = pick[0];
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  });
  check(spot !== null, 'a request marker inside the map to draw around');
  if (spot) {
    await page.click('#area-draw');
    check((await page.getAttribute('#area-draw', 'aria-pressed')) === 'true', 'Draw area is pressed while drawing');
    await dragBox(page, spot, 30);
    const bbox = await waitForArea(page);
    check(bbox !== '', `the drawn area sets the bbox filter (${bbox})`);
    check((await page.locator('path.area-rect').count()) === 1, 'the drawn area is shown on the map');
    check((await page.getAttribute('#area-draw', 'aria-pressed')) === 'false', 'drawing ends after one rectangle');
    const inArea = await listCount(page);
    const apiIds = await allRequestIds(`bbox=${bbox}`);
    const rowIds = await page.evaluate(() => [...document.querySelectorAll('#list tbody tr')].map((tr) => tr.dataset.id));
    check(inArea > 0 && inArea < totalRequests, `the list shrinks to the area (${totalRequests} → ${inArea})`);
    check(inArea === apiIds.size && rowIds.length === Math.min(inArea, 300) && rowIds.every((id) => apiIds.has(id)),
      `the list equals the API's bbox answer (${rowIds.length} rows, API ${apiIds.size})`);
    report.area = { bbox, total: totalRequests, in_area: inArea };
    await page.screenshot({ path: path.join(OUT, 'dashboard-area.png') });

    await page.focus('#area-clear');
    await page.keyboard.press('Enter');
    check((await waitForArea(page, '')) === '' && (await listCount(page)) === totalRequests && (await page.locator('path.area-rect').count()) === 0,
      'Clear area (keyboard) restores the full list and removes the rectangle');

    await page.keyboard.down('Shift');
    await dragBox(page, spot, 30);
    await page.keyboard.up('Shift');
    const shiftBbox = await waitForArea(page);
    check(shiftBbox !== '' && (await listCount(page)) === (await allRequestIds(`bbox=${shiftBbox}`)).size, `shift-drag draws an area too (${shiftBbox})`);

    await page.focus('#area-view');
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => { const b = document.getElementById('list').dataset.bbox; return b && b !== old; }, shiftBbox, { timeout: 20000 });
    const viewBbox = await page.getAttribute('#list', 'data-bbox');
    check((await listCount(page)) === (await allRequestIds(`bbox=${viewBbox}`)).size, `Use map view (keyboard) filters by the visible area (${viewBbox})`);
    await page.click('#area-clear');
    await waitForArea(page, '');
  }

  // Clusters render styled (markercluster's CSS is loaded, offer clusters have our colours):
  // zoom out to the world, where the sample's posts cluster.
  for (let i = 0; i < 12 && (await page.locator('.leaflet-control-zoom-out.leaflet-disabled').count()) === 0; i++) {
    await page.click('.leaflet-control-zoom-out');
    await sleep(300);
  }
  await page.waitForSelector('.marker-cluster', { timeout: 20000 });
  await sleep(500);
  const clusters = await page.evaluate(() => [...document.querySelectorAll('.marker-cluster')].map((el) => {
    const inner = el.querySelector('div');
    const r = el.getBoundingClientRect(), ri = inner ? inner.getBoundingClientRect() : { width: 0, height: 0 };
    const cs = getComputedStyle(el), ics = inner ? getComputedStyle(inner) : null;
    return { cls: el.className, w: r.width, h: r.height, iw: ri.width, ih: ri.height, bg: cs.backgroundColor,
      ibg: ics ? ics.backgroundColor : '', radius: parseFloat(cs.borderTopLeftRadius) || 0, iradius: ics ? parseFloat(ics.borderTopLeftRadius) || 0 : 0 };
  }));
  const transparent = (c) => !c || c === 'transparent' || /^rgba\(.*,\s*0\)$/.test(c);
  const unstyled = clusters.filter((c) => transparent(c.bg) || transparent(c.ibg) || !(c.w > 0 && c.h > 0 && c.iw > 0 && c.ih > 0) ||
    !(c.radius > 0 && c.iradius > 0) || !(c.iw < c.w));
  check(clusters.length > 0 && unstyled.length === 0,
    `clusters are drawn styled: background, size, round (${clusters.length} clusters${unstyled.length ? '; unstyled: ' + unstyled.map((c) => c.cls + ' bg=' + c.bg + '/' + c.ibg).join(' | ') : ''})`);
  check(clusters.some((c) => /marker-cluster-(small|medium|large)/.test(c.cls)), 'request clusters use the markercluster size classes');
  report.clusters = clusters.length;
  await page.screenshot({ path: path.join(OUT, 'dashboard-clusters.png') });

  // Phone width: no horizontal scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `usable at phone width (horizontal overflow ${overflow}px)`);
  await page.screenshot({ path: path.join(OUT, 'dashboard-phone.png') });

  check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  check(external.length === 0, `no external requests${external.length ? ': ' + external.join(' ') : ''}`);
  report.markers = markers;
  report.target = target;
} catch (e) {
  console.error(e);
  failures++;
} finally {
  if (ctx) await ctx.close();
  srv.kill('SIGTERM');
  const code = await new Promise((r) => srv.on('exit', (c) => r(c)));
  check(code === 0, `crema-server exited cleanly on SIGTERM (${code})`);
  report.failures = failures;
  fs.writeFileSync(path.join(OUT, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all browser checks passed');
process.exit(failures ? 1 : 0);

// The number in "Requests (N)".
async function listCount(page) {
  return parseInt((await page.locator('#list-count').innerText()).replace(/[^0-9]/g, ''), 10);
}

// Drags a rectangle of ±r px around `c` with the mouse (pointer events, like a user).
async function dragBox(page, c, r) {
  await page.mouse.move(c.x - r, c.y - r);
  await page.mouse.down();
  await page.mouse.move(c.x, c.y, { steps: 4 });
  await page.mouse.move(c.x + r, c.y + r, { steps: 4 });
  await page.mouse.up();
}

// Waits until the list shows an area (`want` undefined: any non-empty bbox; '' = none); the bbox.
async function waitForArea(page, want) {
  await page.waitForFunction((w) => {
    const b = document.getElementById('list').dataset.bbox;
    return w === null ? !!b : b === w;
  }, want === undefined ? null : want, { timeout: 20000 });
  return (await page.getAttribute('#list', 'data-bbox')) || '';
}

function CSS_escape(s) { return s.replace(/[^a-zA-Z0-9_-]/g, (c) => '\\' + c); }
