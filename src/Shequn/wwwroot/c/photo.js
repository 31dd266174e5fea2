// 晒图返现 on the campaign page: the member picks the day's photo and it is sent (multipart, with the personal token
// kept by campaign.js) to /c/{slug}/photo; the answer, or the refusal in the page's language, is shown under the form.
// No framework: fetch and FormData, both of which WeChat's in-app browser has.
(function () {
  'use strict';
  var root = document.getElementById('campaign');
  var form = document.getElementById('campaign-photo');
  if (!root || !form) { return; }
  var words = document.getElementById('campaign-words').dataset;
  var slug = root.dataset.slug;
  var culture = root.dataset.culture;
  var token = new URLSearchParams(window.location.search).get('m');
  if (!token) {
    try { token = window.localStorage.getItem('shequn-m-' + slug); } catch (e) { /* storage off */ }
  }
  var input = form.querySelector('input[type=file]');
  var button = form.querySelector('button');
  var result = form.querySelector('.photo-result');

  function say(text, ok) {
    result.textContent = text;
    result.className = 'photo-result ' + (ok ? 'ok' : 'err');
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!token) { say(words.noLink, false); return; }
    if (!input.files || input.files.length === 0) { say(form.dataset.missing, false); return; }
    if (input.files[0].size > Number(form.dataset.maxBytes)) { say(form.dataset.tooLarge, false); return; }
    var body = new FormData();
    body.append('token', token);
    body.append('file', input.files[0]);
    button.disabled = true;
    say(words.busy, true);
    fetch('/c/' + encodeURIComponent(slug) + '/photo?culture=' + encodeURIComponent(culture), { method: 'POST', body: body, credentials: 'omit' })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (r) {
        button.disabled = false;
        say(r.ok ? r.body.message : (r.body.detail || r.body.title || ''), r.ok);
        if (r.ok) { input.value = ''; }
      }, function () { button.disabled = false; say(words.network, false); });
  });
}());
