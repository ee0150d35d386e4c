// Live admin pages: follow the watch stream (GET /admin/watch, Server-Sent Events) and update
// the workspaces table or a workspace's page in place, without reloading. No framework; loaded
// as a static file (the pages' CSP forbids inline script). EventSource reconnects by itself,
// sending Last-Event-ID, and the stream replays what was missed meanwhile.
(function () {
  'use strict';
  var table = document.querySelector('table[data-live]');
  var indicator = document.getElementById('live');
  if (!table || !indicator || typeof EventSource === 'undefined') return;
  var colours = JSON.parse(indicator.getAttribute('data-colours') || '{}');
  var detail = table.getAttribute('data-live') === 'events' ? document.querySelector('div[data-workspace-id]') : null;
  var url = '/admin/watch' + (detail ? '?workspaceId=' + encodeURIComponent(detail.getAttribute('data-workspace-id')) : '');
  var SETTLED = { online: 1, offline: 1, failed: 1, paused: 1, removed: 1 };

  function when(iso) {
    return iso ? String(iso).replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
  }
  function badge(status) {
    var span = document.createElement('span');
    span.className = 'status';
    span.style.background = colours[status] || '#6b7280';
    span.textContent = status;
    return span;
  }
  function setText(scope, selector, text) {
    var el = scope.querySelector(selector);
    if (el) el.textContent = text;
  }
  function show(state, text) {
    indicator.textContent = 'live updates: ' + text;
    indicator.className = 'live ' + state;
  }

  // a status cell: replace its badge, keep what follows it (the desired state)
  function update(scope, e) {
    var cell = scope.querySelector('.status-cell');
    var old = cell && cell.querySelector('.status');
    if (old) cell.replaceChild(badge(e.to), old);
    setText(scope, '.updated', when(e.at));
    if (SETTLED[e.to]) setText(scope, '.step', '–');
    if (e.to === 'failed' && e.message) setText(scope, '.err', e.message);
    if (e.to === 'online') setText(scope, '.err', '');
    if (e.generation != null) setText(scope, '.generation', String(e.generation));
  }

  function cell(content) {
    var td = document.createElement('td');
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content == null ? '' : String(content);
    return td;
  }
  function prependEvent(e) {
    var body = table.tBodies[0];
    if (!body) return;
    var tr = document.createElement('tr');
    tr.className = 'changed';
    [when(e.at), e.from || '–', badge(e.to), e.cause, e.jobId || '–', e.attempt, e.message].forEach(function (c) {
      tr.appendChild(cell(c));
    });
    body.insertBefore(tr, body.firstChild);
  }

  function onEvent(message) {
    var e;
    try {
      e = JSON.parse(message.data);
    } catch (err) {
      return;
    }
    if (!e || !e.workspaceId || !e.to) return;
    if (detail) {
      if (e.workspaceId !== detail.getAttribute('data-workspace-id')) return;
      update(detail, e);
      prependEvent(e);
      return;
    }
    var row = table.querySelector('tr[data-workspace-id="' + e.workspaceId + '"]');
    if (!row) return; // not on this page
    update(row, e);
    row.className = 'changed';
    row.setAttribute('data-status', e.to);
  }

  // Action buttons post in the background, so the page stays and shows the change as it streams
  // in; delete and purge go to their confirmation page as a plain form post. Without this script
  // the forms work the same, reloading the page.
  function flash(text) {
    var main = document.querySelector('main');
    var p = main.querySelector('p.flash');
    if (!p) {
      p = document.createElement('p');
      p.className = 'flash';
      p.setAttribute('role', 'status');
      main.insertBefore(p, main.firstChild);
    }
    p.textContent = text;
  }
  function actionOf(form, submitter) {
    if (submitter && submitter.name === 'row') return submitter.value.split(':')[0];
    var select = form.querySelector('select[name="action"]');
    var hidden = form.querySelector('input[name="action"]');
    return (select && select.value) || (hidden && hidden.value) || '';
  }
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || (form.getAttribute('method') || '').toLowerCase() !== 'post') return;
    if (/^(delete|purge)$/.test(actionOf(form, ev.submitter)) && !form.querySelector('input[name="confirm"]')) return;
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form, ev.submitter));
    // getAttribute: a field named `action` (the selection's select) shadows form.action
    fetch(form.getAttribute('action'), { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (res) {
        return res.text().then(function (text) {
          if (!res.ok) {
            var error = {};
            try {
              error = JSON.parse(text).error || {};
            } catch (err) {}
            flash('refused (' + res.status + '): ' + (error.message || text));
            return;
          }
          var shown = new DOMParser().parseFromString(text, 'text/html').querySelector('p.flash');
          flash(shown ? shown.textContent : 'done');
        });
      })
      .catch(function (err) {
        flash('request failed: ' + err.message);
      });
  });

  var source = new EventSource(url);
  source.onopen = function () {
    show('on', 'on');
  };
  source.onerror = function () {
    show('off', source.readyState === EventSource.CLOSED ? 'off (reload the page)' : 'reconnecting…');
  };
  source.onmessage = onEvent;
  window.addEventListener('pagehide', function () {
    source.close();
  });
})();
