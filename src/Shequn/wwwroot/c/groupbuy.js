// The group-buy part of the campaign page (/c/{slug}, /c/{slug}?g={group}): opens or joins a group with the member's
// token, shows the share link that brings friends into the group, and in the Sandbox offers the pretend checkout.
// The token comes from the personal link (?m=) and is kept on this phone for the campaign, so a friend's share link
// (which carries only the group) still knows who is joining. One request id per intent, kept for a retry after a
// network error, so a retry cannot take two places. Plain ES5 for in-app browsers.
(function () {
  'use strict';
  var root = document.getElementById('campaign');
  var box = document.getElementById('group');
  if (!root || !box) { return; }
  var words = document.getElementById('campaign-words').dataset;
  var groupWords = document.getElementById('group-words').dataset;
  var slug = root.dataset.slug;
  var culture = root.dataset.culture;
  var params = new URLSearchParams(window.location.search);
  var key = 'shequn-m-' + slug; // the same key campaign.js keeps it under
  var token = params.get('m');
  try {
    if (token) { window.localStorage.setItem(key, token); } else { token = window.localStorage.getItem(key); }
  } catch (e) { /* storage off: the link's token only */ }
  var button = box.querySelector('.join');
  var result = box.querySelector('.result');
  var pending = null;
  var busy = false;

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var s = '';
    for (var i = 0; i < bytes.length; i++) { s += ('0' + bytes[i].toString(16)).slice(-2); }
    return s;
  }

  function show(text, ok) {
    result.textContent = text;
    result.className = 'result ' + (ok ? 'ok' : 'err');
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

  function offerShare(url) {
    var share = box.querySelector('.share');
    var input = share.querySelector('input');
    input.value = url;
    share.hidden = false;
    share.querySelector('.copy').addEventListener('click', function () {
      input.select();
      var done = function () { show(groupWords.copied, true); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(done, function () { document.execCommand('copy'); done(); });
      } else { document.execCommand('copy'); done(); }
    });
  }

  function offerCheckout(seatId) {
    if (box.querySelector('.pay')) { return; }
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'pay';
    b.textContent = words.pay;
    b.setAttribute('data-testid', 'group-sandbox-pay');
    b.addEventListener('click', function () {
      b.disabled = true;
      post('/seat-checkout', { token: token, seatId: seatId }).then(function (r) {
        show(r.ok ? r.body.message : problemText(r.body), r.ok);
        if (r.ok) { b.remove(); } else { b.disabled = false; }
      }, function () { b.disabled = false; show(words.network, false); });
    });
    button.parentNode.insertBefore(b, button.nextSibling);
  }

  function join() {
    if (busy) { return; }
    if (!token) { show(words.noLink, false); return; }
    busy = true;
    if (!pending) { pending = newRequestId(); }
    show(words.busy, true);
    var body = { token: token, requestId: pending, inviter: null };
    try { body.inviter = window.localStorage.getItem('shequn-i-' + slug) || params.get('i'); } catch (e) { body.inviter = params.get('i'); }
    if (button.getAttribute('data-group')) { body.groupId = button.getAttribute('data-group'); }
    post('/join', body).then(function (r) {
      busy = false;
      pending = null;
      if (!r.ok) { show(problemText(r.body), false); return; }
      show(r.body.message, true);
      button.disabled = true;
      offerShare(r.body.shareUrl);
      if (root.dataset.sandbox === '1' && r.body.status === 'reserved') { offerCheckout(r.body.seatId); }
    }, function () {
      // Kept: a retry sends the same request id and gets the first answer.
      busy = false;
      show(words.network, false);
    });
  }

  button.addEventListener('click', join);
  if (!token && !button.disabled) { button.disabled = true; show(words.noLink, false); }
}());
