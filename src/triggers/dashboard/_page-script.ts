/**
 * The dashboard's script, plain browser JavaScript (no build step). It reads the token from the
 * page URL, follows the server-sent `state` events, and POSTs Reload and Rehash with the token
 * in the `X-Hotswap-Token` header: a header a cross-site form or image cannot send, which is
 * what makes the buttons safe from cross-site request forgery (no cookie is involved).
 *
 * Written without template literals so it can live inside this TypeScript string.
 */

/** The script. */
export const pageScript = `(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  var ansi = /\\u001b\\[[0-9;]*m/g;
  var openReports = new Set();
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function firstLine(text) { return String(text || '').split('\\n')[0]; }
  function located(err) {
    for (var e = err; e; e = e.cause) if (e.location) return e.location;
    return undefined;
  }
  function where(err) {
    var l = located(err);
    if (!l) return '';
    return l.file.split('/').slice(-3).join('/') + ':' + l.line + ':' + l.column;
  }
  function frameOf(err) {
    for (var e = err; e; e = e.cause) if (e.frame) return e.frame.replace(ansi, '');
    return '';
  }
  function outcomeClass(r) { return r.ok ? 'ok' : r.rolledBack ? 'rolled' : 'failed'; }

  function errorBlock(e, label) {
    var box = el('div', 'error');
    box.append(el('div', 'failed-text', (label ? label + ': ' : '') + (e.code ? e.code + ' ' : '') + e.message));
    var w = where(e);
    if (w) box.append(el('div', 'where', w));
    var f = frameOf(e);
    if (f) box.append(el('pre', '', f));
    if (e.hint) box.append(el('div', 'dim', e.hint));
    return box;
  }

  function renderReport(target, report) {
    target.replaceChildren();
    target.className = 'report';
    target.dataset.reportId = String(report.id);
    target.dataset.ok = String(report.ok);
    target.append(el('div', 'summary ' + outcomeClass(report), firstLine(report.summary)));
    var shown = false;
    report.units.forEach(function (u) {
      var line = el('div', 'unit-line');
      line.append(el('span', 'o-' + u.outcome, u.outcome), ' ' + u.name);
      if (u.generation.from !== u.generation.to) line.append(' ' + u.generation.from + ' \\u2192 ' + u.generation.to);
      if (u.rolledBack) line.append(el('span', 'o-restart-required', ' (rolled back)'));
      if (u.summary) line.append(el('span', 'dim', '  ' + u.summary));
      target.append(line);
      if (u.error) { shown = true; target.append(errorBlock(u.error, u.name)); }
      (u.parts || []).forEach(function (p) {
        if (p.error) { shown = true; target.append(errorBlock(p.error, u.name + '/' + p.name)); }
      });
    });
    if (report.error && !shown) target.append(errorBlock(report.error));
  }

  function renderBanner(last) {
    document.body.classList.toggle('failed', Boolean(last));
    $('banner').hidden = !last;
    if (!last) return;
    var title = last.source === 'reload' ? 'Reload #' + last.reloadId + ' failed'
      : last.source === 'worker' ? 'Worker ' + last.unit + ' died'
      : last.source === 'drain' ? 'In-flight work outlived the drain timeout'
      : 'An old version of ' + last.unit + ' did not end cleanly';
    if (last.source === 'reload' && last.unit) title += ' in ' + last.unit;
    $('banner-title').textContent = title;
    var e = last.error;
    var w = where(e);
    $('banner-message').textContent = (e.code ? e.code + ': ' : '') + e.message + (w ? '  (' + w + ')' : '');
    var f = frameOf(e);
    $('banner-frame').hidden = !f;
    $('banner-frame').textContent = f;
  }

  function renderUnits(units) {
    var body = $('units').tBodies[0];
    body.replaceChildren();
    units.forEach(function (u) {
      var row = el('tr');
      row.dataset.unit = u.name;
      row.append(el('td', '', u.name), el('td', 'dim', u.kind), el('td', 'generation', u.generation),
        el('td', '', u.state), el('td', u.lastOutcome ? 'o-' + u.lastOutcome : 'dim', u.lastOutcome || '-'),
        el('td', '', u.leases));
      body.append(row);
    });
  }

  function renderWorkers(workers) {
    var body = $('workers').tBodies[0];
    body.replaceChildren();
    workers.forEach(function (w) {
      var row = el('tr');
      row.append(el('td', '', w.name), el('td', w.state === 'dead' ? 'o-failed' : '', w.state),
        el('td', '', w.restarts + (w.restartable ? '' : ' (final)')));
      body.append(row);
    });
    $('workers').hidden = workers.length === 0;
    $('no-workers').hidden = workers.length > 0;
  }

  function renderLeases(s) {
    var parts = Object.keys(s.leases.byUnit).map(function (k) { return k + ': ' + s.leases.byUnit[k]; });
    $('leases').textContent = s.leases.total + ' in flight' + (parts.length ? ' (' + parts.join(', ') + ')' : '') +
      ' \\u00b7 ' + (s.draining ? 'draining: new work is refused' : 'not draining') +
      (s.queued ? ' \\u00b7 ' + s.queued + ' queued' : '');
  }

  function renderTimeline(history) {
    var list = $('timeline');
    list.replaceChildren();
    history.slice().reverse().forEach(function (r) {
      var item = el('li', outcomeClass(r));
      item.dataset.reportId = String(r.id);
      var details = el('details');
      details.open = openReports.has(r.id);
      details.addEventListener('toggle', function () {
        if (details.open) openReports.add(r.id); else openReports.delete(r.id);
      });
      var head = el('summary');
      head.append(el('strong', '', '#' + r.id + ' ' + r.kind), ' ' + firstLine(r.summary).replace(/^\\S+ #\\d+ /, ''));
      head.append(el('span', 'meta', new Date(r.startedAt).toLocaleTimeString()));
      var body = el('div');
      renderReport(body, r);
      details.append(head, body);
      item.append(details);
      list.append(item);
    });
    $('no-history').hidden = history.length > 0;
  }

  function render(state) {
    var s = state.status;
    document.title = (s.lastError ? '\\u2716 ' : '') + 'hotswap \\u00b7 ' + s.name;
    $('name').textContent = s.name;
    $('pid').textContent = 'pid ' + state.pid;
    $('state').textContent = s.state;
    $('state').className = 'pill state-' + s.state;
    $('drain').hidden = !s.draining;
    renderBanner(s.lastError);
    renderUnits(s.units);
    renderWorkers(s.workers);
    renderLeases(s);
    renderTimeline(state.history);
    document.body.dataset.reloads = String(s.reloads);
  }

  function act(op) {
    var button = $(op);
    var out = $('last-report');
    button.disabled = true;
    out.className = 'dim';
    out.textContent = op === 'reload' ? 'reloading\\u2026' : 'rehashing\\u2026';
    fetch('/api/' + op, { method: 'POST', headers: { 'x-hotswap-token': token }, cache: 'no-store' })
      .then(function (res) { return res.json(); })
      .then(function (reply) {
        if (reply.ok) renderReport(out, reply.result);
        else { out.replaceChildren(errorBlock(reply.error)); out.className = 'report'; }
      })
      .catch(function (err) { out.textContent = op + ' request failed: ' + err.message; })
      .finally(function () { button.disabled = false; });
  }

  $('reload').addEventListener('click', function () { act('reload'); });
  $('rehash').addEventListener('click', function () { act('rehash'); });

  var events = new EventSource('/events?token=' + encodeURIComponent(token));
  events.addEventListener('state', function (ev) {
    $('live').textContent = 'live';
    $('live').className = 'pill live';
    render(JSON.parse(ev.data));
  });
  events.onerror = function () {
    $('live').textContent = 'reconnecting';
    $('live').className = 'pill dim';
  };
})();
`;
