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

function CSS_escape(s) { return s.replace(/[^a-zA-Z0-9_-]/g, (c) => '\\' + c); }
