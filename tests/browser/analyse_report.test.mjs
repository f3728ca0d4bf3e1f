// Browser test of `crema analyse`'s report.html in real headless Chromium (playwright-core,
// Debian's chromium): a store made by `crema run` on data/sample, `crema analyse` on it, then
// the page opened from disk. Checks: no console errors, no request leaves the file, every
// chart has one mark per datum of analyse.json (countries coloured, bars, timeline points),
// the unmet-need table matches unmet_need.csv. Writes a screenshot to --out.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const { crema: CREMA, root: ROOT, out: OUT, chromium: CHROMIUM } = args;
const { chromium } = await import(path.join(ROOT, 'web/node_modules/playwright-core/index.mjs'));

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

fs.mkdirSync(OUT, { recursive: true });
const work = fs.mkdtempSync(path.join(OUT, 'analyse-'));
const crema = (argv) => {
  const r = spawnSync(CREMA, argv, { encoding: 'utf8' });
  if (r.status !== 0) { console.error(`crema ${argv.join(' ')} failed:\n${r.stderr}`); process.exit(1); }
  return r.stdout;
};
crema(['run', '--in', path.join(ROOT, 'data/sample/sample_posts.jsonl'), '--out', work, '--quiet']);
const outDir = path.join(work, 'analyse');
crema(['analyse', '--db', path.join(work, 'crema.sqlite'), '--out', outDir, '--min-count', '5', '--quiet']);
const summary = JSON.parse(fs.readFileSync(path.join(outDir, 'analyse.json'), 'utf8'));

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  const external = [];
  const file = 'file://' + path.join(outDir, 'report.html');
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (r.url() !== file && !r.url().startsWith('data:')) external.push(r.url()); });
  await page.goto(file, { waitUntil: 'load' });

  const placed = summary.countries.filter((c) => c.key !== 'unplaced');
  const coloured = placed.filter((c) => c.requests + c.offers > 0).length;
  check(await page.locator('#map path.country.has-data').count() === coloured,
    `map colours the ${coloured} countries above --min-count`);
  check(await page.locator('#map path.country').count() >= 170, 'map draws every country shape');
  const topCountries = Math.min(10, placed.length);
  check(await page.locator('#countries rect.bar').count() === 2 * topCountries,
    `top-countries chart: ${2 * topCountries} bars (requests + offers of ${topCountries} countries)`);
  check(await page.locator('#resources rect.bar').count() === 2 * summary.resources.length,
    `resources chart: ${2 * summary.resources.length} bars`);
  const buckets = await page.locator('#timeline tbody tr').count();
  check(buckets >= summary.months.length, `timeline has at least one bucket per month (${buckets})`);
  check(await page.locator('#timeline circle.point').count() === 2 * buckets, 'timeline: 2 points per bucket');
  const timelineRequests = (await page.locator('#timeline tbody tr td:nth-child(3)').allTextContents())
    .reduce((s, t) => s + Number(t), 0);
  check(timelineRequests === summary.totals.requests, `timeline requests add up to ${summary.totals.requests}`);
  const unmetRows = Math.min(25, summary.unmet_need.cells.length);
  check(await page.locator('#unmet-table tbody tr').count() === unmetRows, `unmet table: ${unmetRows} rows`);
  const firstCell = summary.unmet_need.cells[0];
  if (firstCell) {
    const cells = await page.locator('#unmet-table tbody tr').first().locator('td').allTextContents();
    check(cells[1] === firstCell.resource && Number(cells[4]) === firstCell.unmet,
      `first unmet row is ${firstCell.name}/${firstCell.resource} with ${firstCell.unmet} unmet`);
  }
  check(await page.locator('svg[role="img"] > title').count() >= 4, 'every chart has an accessible title');
  await page.screenshot({ path: path.join(OUT, 'analyse_report.png'), fullPage: true });
  check(errors.length === 0, 'no console errors' + (errors.length ? ': ' + errors.join(' | ') : ''));
  check(external.length === 0, 'no network requests' + (external.length ? ': ' + external.join(' ') : ''));
} finally {
  await browser.close();
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
