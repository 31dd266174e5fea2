// The campaign page's claim button (/c/{slug}): the member's token comes from the personal link (?m=), each click
// intent gets one request id (kept for a retry after a network error, so a retry cannot claim twice), and the answer
// (or the refusal's words, in the page's language) is shown under the button. Plain ES5 for in-app browsers.
(function () {
  'use strict';
  var root = document.getElementById('campaign');
  if (!root) { return; }
  var words = document.getElementById('campaign-words').dataset;
  var slug = root.dataset.slug;
  var culture = root.dataset.culture;
  var params = new URLSearchParams(window.location.search);
  var token = params.get('m');
  // A shared bargain or assist link (?b=, ?a=) carries no token: the member's own, kept from their personal link, is used.
  try {
    var kept = 'shequn-m-' + slug;
    if (token) { window.localStorage.setItem(kept, token); } else { token = window.localStorage.getItem(kept); }
  } catch (e) { /* storage off: only the personal link works */ }
  // A share link's inviter (?i=) is kept for the campaign and sent with the visitor's actions (the server checks it).
  var inviter = params.get('i');
  try {
    var invitedBy = 'shequn-i-' + slug;
    if (inviter) { window.localStorage.setItem(invitedBy, inviter); } else { inviter = window.localStorage.getItem(invitedBy); }
  } catch (e) { /* storage off: only this visit's link counts */ }
  var pending = null;
  var busy = false;

  // The language link keeps the personal token.
  var lang = document.getElementById('campaign-language');
  if (lang && token) { lang.href = lang.getAttribute('href') + '&m=' + encodeURIComponent(token); }
  if (lang && (params.get('b') || params.get('a'))) {
    lang.href = lang.getAttribute('href') + (params.get('b') ? '&b=' + encodeURIComponent(params.get('b')) : '&a=' + encodeURIComponent(params.get('a')));
  }
  // Links to the campaign's leaderboard, quiz or swap page keep the token too.
  var keep = document.querySelectorAll('a.keep-token');
  for (var t = 0; t < keep.length && token; t++) { keep[t].href = keep[t].getAttribute('href') + '?m=' + encodeURIComponent(token); }
  // The board page (quiz, swap, points) is reached with the share link's inviter too.
  for (var v = 0; v < keep.length && inviter; v++) {
    keep[v].href = keep[v].getAttribute('href') + (keep[v].getAttribute('href').indexOf('?') < 0 ? '?' : '&') + 'i=' + encodeURIComponent(inviter);
  }

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var s = '';
    for (var i = 0; i < bytes.length; i++) { s += ('0' + bytes[i].toString(16)).slice(-2); }
    return s;
  }

  function show(text, ok) {
    var results = document.querySelectorAll('.result');
    for (var i = 0; i < results.length; i++) {
      results[i].textContent = text;
      results[i].className = 'result ' + (ok ? 'ok' : 'err');
    }
  }

  function post(path, body) {
    return fetch('/c/' + encodeURIComponent(slug) + path + '?culture=' + encodeURIComponent(culture), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit'
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function problemText(p) {
    if (p.errors) {
      var all = [];
      for (var k in p.errors) { if (Object.prototype.hasOwnProperty.call(p.errors, k)) { all = all.concat(p.errors[k]); } }
      return all.join(' ');
    }
    return p.detail || p.title || '';
  }

  function offerCheckout(claimId) {
    var boxes = document.querySelectorAll('.claim');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].querySelector('.pay')) { continue; }
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'pay';
      b.textContent = words.pay;
      b.setAttribute('data-testid', 'campaign-sandbox-pay');
      b.addEventListener('click', function () {
        post('/checkout', { token: token, claimId: claimId }).then(function (r) {
          show(r.ok ? r.body.message : problemText(r.body), r.ok);
        }, function () { show(words.network, false); });
      });
      boxes[i].appendChild(b);
    }
  }

  function claim() {
    if (busy) { return; }
    if (!token) { show(words.noLink, false); return; }
    busy = true;
    var q = document.querySelector('.quantity');
    var quantity = q ? parseInt(q.value, 10) : 1;
    if (!pending) { pending = newRequestId(); }
    show(words.busy, true);
    post('/claim', { token: token, quantity: quantity, requestId: pending, inviter: inviter }).then(function (r) {
      busy = false;
      pending = null;
      if (r.ok) {
        var until = new Date(r.body.expiresAt);
        show(r.body.message + (r.body.status === 'reserved' ? ' ' + words.untilLabel + ' ' + until.toLocaleTimeString() : ''), true);
        if (root.dataset.sandbox === '1' && r.body.status === 'reserved') { offerCheckout(r.body.claimId); }
      } else {
        show(problemText(r.body), false);
      }
    }, function () {
      // Kept: a retry sends the same request id and gets the first answer.
      busy = false;
      show(words.network, false);
    });
  }

  var buttons = document.querySelectorAll('.buy');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', claim);
    if (!token && root.dataset.open === '1') { buttons[i].disabled = true; }
  }
  if (!token && root.dataset.open === '1') { show(words.noLink, false); }

  // 砍 / 帮 / 券: each button posts to its path; a request id per button is kept for a retry after a network error,
  // and a start shows the link to share with friends.
  var helpPending = {};
  function helpAction(e) {
    var b = e.currentTarget;
    if (!token) { show(words.noLink, false); return; }
    var path = b.getAttribute('data-path');
    if (!helpPending[path]) { helpPending[path] = newRequestId(); }
    b.disabled = true;
    show(words.busy, true);
    post(path, { token: token, requestId: helpPending[path], inviter: inviter }).then(function (r) {
      b.disabled = false;
      delete helpPending[path];
      show(r.ok ? r.body.message : problemText(r.body), r.ok);
      if (r.ok && r.body.code) { document.dispatchEvent(new Event('shequn:claimed')); }
      var share = document.querySelector('.helps .share');
      if (r.ok && r.body.shareUrl && share) {
        var a = share.querySelector('.share-url');
        a.href = r.body.shareUrl;
        a.textContent = window.location.origin + r.body.shareUrl;
        share.hidden = false;
      }
    }, function () { b.disabled = false; show(words.network, false); });
  }
  var helpButtons = document.querySelectorAll('.help-action');
  for (var h = 0; h < helpButtons.length; h++) { helpButtons[h].addEventListener('click', helpAction); }

  function tick() {
    var el = document.querySelector('.status[data-until]');
    if (!el) { return; }
    var left = Math.max(0, parseInt(el.getAttribute('data-until'), 10) - Date.now());
    var s = Math.floor(left / 1000);
    var d = Math.floor(s / 86400);
    var hms = [Math.floor(s % 86400 / 3600), Math.floor(s % 3600 / 60), s % 60].map(function (n) { return ('0' + n).slice(-2); }).join(':');
    el.querySelector('.countdown').textContent = (d > 0 ? d + words.days + ' ' : '') + hms;
    if (left === 0) { window.location.reload(); return; }
    window.setTimeout(tick, 1000);
  }
  tick();
}());
