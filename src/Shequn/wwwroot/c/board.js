// The leaderboard, quiz, swap and points pages (/c/{slug}/board|quiz|swap|points): the member's token comes from the
// personal link (?m=); a share link's inviter (?i=, or the one kept for the campaign) goes with each post and the server
// records it once the action succeeded; each intent gets one request id (kept for a retry after a network error, so a
// retry cannot submit twice).
// After an answer the page is reloaded: the server renders the result. Plain ES5 for in-app browsers.
(function () {
  'use strict';
  var root = document.getElementById('board');
  if (!root) { return; }
  var words = document.getElementById('board-words').dataset;
  var slug = root.dataset.slug;
  var culture = root.dataset.culture;
  var params = new URLSearchParams(window.location.search);
  var token = params.get('m');
  var inviter = params.get('i');
  try {
    var invitedBy = 'shequn-i-' + slug;
    if (inviter) { window.localStorage.setItem(invitedBy, inviter); } else { inviter = window.localStorage.getItem(invitedBy); }
  } catch (e) { /* storage off: only this visit's link counts */ }
  var pending = null;
  var busy = false;

  var lang = document.getElementById('board-language');
  if (lang && token) { lang.href = lang.getAttribute('href') + '&m=' + encodeURIComponent(token); }
  if (lang && params.get('i')) { lang.href = lang.getAttribute('href') + '&i=' + encodeURIComponent(params.get('i')); }

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var s = '';
    for (var i = 0; i < bytes.length; i++) { s += ('0' + bytes[i].toString(16)).slice(-2); }
    return s;
  }

  function show(box, text, ok) {
    if (!box) { return; }
    box.textContent = text;
    box.className = 'result ' + (ok ? 'ok' : 'err');
  }

  function problemText(p) {
    if (p && p.errors) {
      var all = [];
      for (var k in p.errors) { if (Object.prototype.hasOwnProperty.call(p.errors, k)) { all = all.concat(p.errors[k]); } }
      return all.join(' ');
    }
    return (p && (p.detail || p.title)) || '';
  }

  function post(path, body, box) {
    if (busy) { return; }
    if (!token) { show(box, words.noLink, false); return; }
    busy = true;
    body.token = token;
    if (inviter) { body.inviter = inviter; }
    show(box, words.busy, true);
    fetch('/c/' + encodeURIComponent(slug) + path + '?culture=' + encodeURIComponent(culture), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit'
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (r) {
      busy = false;
      pending = null;
      if (r.ok) {
        show(box, (r.body && r.body.message) || '', true);
        window.location.reload();
      } else {
        show(box, problemText(r.body), false);
      }
    }, function () {
      busy = false;
      show(box, words.network, false);
    });
  }

  var quiz = document.getElementById('quiz');
  if (quiz) {
    quiz.addEventListener('submit', function (e) {
      e.preventDefault();
      var answers = [];
      var questions = quiz.querySelectorAll('.question');
      for (var i = 0; i < questions.length; i++) {
        var chosen = [];
        var inputs = questions[i].querySelectorAll('input');
        for (var j = 0; j < inputs.length; j++) { if (inputs[j].checked) { chosen.push(parseInt(inputs[j].value, 10)); } }
        answers.push(chosen);
      }
      if (!pending) { pending = newRequestId(); }
      post('/quiz', { requestId: pending, answers: answers }, quiz.querySelector('.result'));
    });
  }

  // Points: each item's button redeems it; one request id per item until an answer comes.
  var redeems = document.querySelectorAll('.redeem');
  var redeemIds = {};
  for (var r = 0; r < redeems.length; r++) {
    redeems[r].addEventListener('click', function (e) {
      var index = e.currentTarget.dataset.item;
      if (!redeemIds[index]) { redeemIds[index] = newRequestId(); }
      post('/redeem', { requestId: redeemIds[index], itemIndex: parseInt(index, 10) }, document.getElementById('points-result'));
    });
  }

  var list = document.getElementById('swap-list');
  if (list) {
    list.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!pending) { pending = newRequestId(); }
      post('/swap/items', { requestId: pending, title: list.elements.title.value, description: list.elements.description.value }, list.querySelector('.result'));
    });
  }

  var items = document.querySelectorAll('.swap-item');
  for (var k = 0; k < items.length; k++) {
    (function (item) {
      var id = item.dataset.item;
      var box = item.querySelector('.result');
      var form = item.querySelector('.swap-offer');
      if (form) {
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          post('/swap/items/' + id + '/offers', { text: form.elements.text.value }, box);
        });
      }
      var accepts = item.querySelectorAll('.accept');
      for (var a = 0; a < accepts.length; a++) {
        accepts[a].addEventListener('click', function (e) {
          post('/swap/items/' + id + '/accept', { offerId: e.currentTarget.dataset.offer }, box);
        });
      }
    })(items[k]);
  }
}());
