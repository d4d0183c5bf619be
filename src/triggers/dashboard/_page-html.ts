/**
 * The dashboard's HTML shell. It holds no data: the script fills it from the server-sent state,
 * always through `textContent`, so nothing a unit or an error says can become markup.
 */

/** The page. */
export const pageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>hotswap</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<div id="tint" aria-hidden="true"></div>
<header>
  <div class="brand"><span class="logo">&#8644;</span> hotswap <strong id="name"></strong> <span id="pid" class="dim"></span></div>
  <div class="pills">
    <span id="state" class="pill">connecting</span>
    <span id="drain" class="pill pill-warn" hidden>draining</span>
    <span id="live" class="pill dim">offline</span>
  </div>
  <div class="actions">
    <button id="reload" type="button" title="Reload every unit">Reload</button>
    <button id="rehash" type="button" class="secondary" title="Reload the configuration">Rehash</button>
  </div>
</header>
<section id="banner" role="alert" hidden>
  <h2 id="banner-title"></h2>
  <p id="banner-message"></p>
  <pre id="banner-frame" hidden></pre>
  <p class="dim">The last good version keeps running. This clears on the next successful reload.</p>
</section>
<main>
  <section class="card">
    <h3>Units</h3>
    <table id="units">
      <thead><tr><th>unit</th><th>kind</th><th>gen</th><th>state</th><th>last</th><th>leases</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="card">
    <h3>Last action</h3>
    <div id="last-report" class="dim">Reload and Rehash answer here.</div>
  </section>
  <section class="card">
    <h3>Workers</h3>
    <table id="workers">
      <thead><tr><th>worker</th><th>state</th><th>restarts</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="no-workers" class="dim">no workers</p>
  </section>
  <section class="card">
    <h3>Leases and drain</h3>
    <p id="leases" class="dim"></p>
  </section>
  <section class="card wide">
    <h3>History</h3>
    <ol id="timeline"></ol>
    <p id="no-history" class="dim">no reload yet</p>
  </section>
</main>
</body>
</html>
`;

/** The answer to a request without the right token. */
export const deniedHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>401</title></head>
<body style="font-family:system-ui,sans-serif;padding:2rem">
<h1>401: token missing or wrong</h1>
<p>Open the URL the process printed at start, with its <code>?token=</code>.</p>
</body></html>
`;
