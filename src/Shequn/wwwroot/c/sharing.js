// The campaign page's sharing part: the member's own poster (/c/{slug}/poster.png?m=, whose QR code carries their invite
// link) and the phone field, posted with the ticked consent and one request id per intent (kept for a retry after a
// network error). The token is the personal link's (?m=) or the one kept on this phone by campaign.js. It also shows
// what only the member sees (/c/{slug}/mine): their invite link and their coupon codes. Plain ES5.
(function () {
  'use strict';
  var root = document.getElementById('campaign');
  if (!root) { return; }
  var slug = root.dataset.slug;
  var culture = root.dataset.culture;
  var params = new URLSearchParams(window.location.search);
  var token = params.get('m');
  try { if (!token) { token = window.localStorage.getItem('shequn-m-' + slug) || window.localStorage.getItem('shequn.m.' + slug); } } catch (e) { /* storage off */ }
  // The share link's inviter (?i=, or the one campaign.js kept) goes with the phone; the server records it after the save.
  var inviter = params.get('i');
  try { if (!inviter) { inviter = window.localStorage.getItem('shequn-i-' + slug); } } catch (e) { /* storage off */ }

  var sharing = document.getElementById('sharing');
  if (sharing && token) {
    var a = sharing.querySelector('.poster');
    a.href = a.getAttribute('href') + '?m=' + encodeURIComponent(token) + (params.get('g') ? '&g=' + encodeURIComponent(params.get('g')) : '') +
      '&culture=' + encodeURIComponent(culture);
    sharing.hidden = false;
  }

  // The member's own part (not in the cached page): their invite link to forward, and their coupon codes as they are now.
  function mine() {
    if (!token) { return; }
    fetch('/c/' + encodeURIComponent(slug) + '/mine?m=' + encodeURIComponent(token) + '&culture=' + encodeURIComponent(culture), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (m) {
        if (!m) { return; }
        var invite = sharing && sharing.querySelector('.invite');
        if (invite && m.inviteUrl) {
          var input = invite.querySelector('.invite-url');
          input.value = m.inviteUrl;
          invite.hidden = false;
          var copy = invite.querySelector('.copy');
          copy.onclick = function () {
            input.select();
            var done = function () { copy.textContent = copy.getAttribute('data-copied'); };
            if (navigator.clipboard) { navigator.clipboard.writeText(m.inviteUrl).then(done, function () { document.execCommand('copy'); done(); }); } else { document.execCommand('copy'); done(); }
          };
        }
        var box = document.getElementById('my-coupons');
        if (!box) { return; }
        var list = box.querySelector('.coupons');
        list.textContent = '';
        for (var i = 0; i < m.coupons.length; i++) {
          var c = m.coupons[i];
          var li = document.createElement('li');
          li.className = c.status;
          li.setAttribute('data-testid', 'my-coupon');
          li.setAttribute('data-status', c.status);
          var code = document.createElement('code');
          code.textContent = c.code;
          li.appendChild(code);
          li.appendChild(document.createTextNode(' ' + c.text));
          list.appendChild(li);
        }
        box.querySelector('.none').hidden = m.coupons.length > 0;
        box.hidden = false;
      }, function () { /* offline: the page works without it */ });
  }
  mine();
  // A claim on this page (campaign.js) adds a code: show the list again once it answered.
  document.addEventListener('shequn:claimed', mine);

  var box = document.getElementById('phone-box');
  if (!box) { return; }
  var result = box.querySelector('.phone-result');
  var button = box.querySelector('.phone-submit');
  var pending = null;

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var s = '';
    for (var i = 0; i < bytes.length; i++) { s += ('0' + bytes[i].toString(16)).slice(-2); }
    return s;
  }

  function problemText(p) {
    if (p.errors) {
      var all = [];
      for (var k in p.errors) { if (Object.prototype.hasOwnProperty.call(p.errors, k)) { all = all.concat(p.errors[k]); } }
      return all.join(' ');
    }
    return p.detail || p.title || '';
  }

  button.addEventListener('click', function () {
    if (!token) { result.textContent = document.getElementById('campaign-words').dataset.noLink; return; }
    if (!pending) { pending = newRequestId(); }
    button.disabled = true;
    var body = { token: token, phone: box.querySelector('.phone').value, consent: box.querySelector('.consent').checked, requestId: pending, inviter: inviter };
    fetch('/c/' + encodeURIComponent(slug) + '/phone?culture=' + encodeURIComponent(culture), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit'
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); }).then(function (r) {
      button.disabled = r.ok;
      if (r.ok) { pending = null; }
      result.textContent = r.ok ? r.body.message + ' ' + r.body.phone : problemText(r.body);
      // The withdrawal link comes only in this answer (its token is shown once): a relative /w/ path, nothing else.
      var withdraw = box.querySelector('.phone-withdraw');
      var url = r.ok && r.body.withdrawUrl;
      if (url && /^\/w\/[A-Za-z0-9_-]+$/.test(url)) {
        withdraw.querySelector('a').setAttribute('href', url);
        withdraw.hidden = false;
      }
    }, function () {
      button.disabled = false;
      result.textContent = document.getElementById('campaign-words').dataset.network;
    });
  });
}());
