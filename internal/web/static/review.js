// The reviewers' console: zoom and rotate a document image, and keyboard
// shortcuts (a approve, r reject, d ask for a new document, c claim,
// z zoom, o rotate, n next case, / search, j/k move in the queue). Keys
// typed into a field are the field's.
(function () {
  'use strict';
  var viewers = document.querySelectorAll('figure.viewer');
  viewers.forEach(function (fig) {
    var img = fig.querySelector('img');
    var turn = 0;
    var bar = document.createElement('div');
    bar.className = 'viewer-tools';
    function tool(label, fn) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary small';
      b.textContent = label;
      b.addEventListener('click', fn);
      bar.appendChild(b);
      return b;
    }
    var zoom = tool(fig.dataset.zoom || 'Zoom', function () {
      var on = fig.classList.toggle('zoomed');
      zoom.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
    zoom.setAttribute('aria-pressed', 'false');
    zoom.dataset.tool = 'zoom';
    tool(fig.dataset.rotate || 'Rotate', function () {
      img.classList.remove('rot' + turn);
      turn = (turn + 90) % 360;
      if (turn) { img.classList.add('rot' + turn); }
    }).dataset.tool = 'rotate';
    fig.appendChild(bar);
  });

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function open(id, focus) {
    var d = document.getElementById(id);
    if (!d) { return; }
    d.open = true;
    var f = d.querySelector(focus);
    if (f) { f.focus(); }
  }
  function click(id) {
    var b = document.getElementById(id);
    if (b) { b.click(); }
  }
  function firstTool(name) {
    var b = document.querySelector('.viewer-tools [data-tool="' + name + '"]');
    if (b) { b.click(); }
  }
  function move(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll('#cases a'));
    if (!links.length) { return; }
    var i = links.indexOf(document.activeElement);
    i = i < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, i + step));
    links[i].focus();
  }
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    switch (e.key) {
      case 'a': { var a = document.getElementById('approve'); if (a) { a.focus(); } break; }
      case 'r': open('reject-details', '#reason'); break;
      case 'd': open('request-details', '#request-reason'); break;
      case 'c': click('claim'); break;
      case 'z': firstTool('zoom'); break;
      case 'o': firstTool('rotate'); break;
      case 'n': click('next-case'); break;
      case 'j': move(1); break;
      case 'k': move(-1); break;
      case '/': { var q = document.getElementById('q'); if (q) { q.focus(); } else { location.href = '/review'; } break; }
      default: return;
    }
    e.preventDefault();
  });
})();
