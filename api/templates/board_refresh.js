// The board's in-place refresh (api/templates/board_base.html): fetch the page's fragment every
// data-refresh seconds and swap it into #live when it changed. Inlined into the page as it is;
// the page's Content-Security-Policy allows it by its hash (api.pages.assets).
//
// On the wall screen it also fits the day to the screen: each [data-pager] panel that holds more
// .page-item elements than fit its box shows them a page at a time, turning every
// data-turn seconds (or when its counter is tapped), with "page / pages" in its counter. The
// panel's place on the page stays put; a refresh keeps each panel on its page.
(function () {
  var live = document.getElementById("live");
  var every = Number(document.body.dataset.refresh) * 1000;
  if (!live || !every) return;
  var turn = Number(document.body.dataset.turn) * 1000;
  var pages = {}, shown = {};
  var root = document.documentElement;

  function paginate(panel) {
    var items = panel.querySelectorAll(".page-item");
    panel.style.height = "";
    for (var i = 0; i < items.length; i++) items[i].hidden = false;
    var box = panel.getBoundingClientRect();
    var bottom = box.bottom - parseFloat(getComputedStyle(panel).paddingBottom);
    var split = [[]], offset = 0, first = items.length ? items[0].getBoundingClientRect().top : 0;
    for (var j = 0; j < items.length; j++) {
      var r = items[j].getBoundingClientRect();
      var page = split[split.length - 1];
      if (page.length && r.bottom - offset > bottom) {
        split.push((page = []));
        offset = r.top - first;
      }
      page.push(items[j]);
    }
    // A box sized by its content (the alerts) keeps its full height while it pages.
    if (split.length > 1) panel.style.height = box.height + "px";
    pages[panel.id] = split;
    show(panel, Math.min(shown[panel.id] || 0, split.length - 1));
  }

  function show(panel, n) {
    var split = pages[panel.id] || [[]];
    shown[panel.id] = n;
    for (var p = 0; p < split.length; p++) {
      for (var i = 0; i < split[p].length; i++) split[p][i].hidden = p !== n;
    }
    panel.dataset.page = String(n + 1);
    panel.dataset.pages = String(split.length);
    var counter = panel.querySelector(".pager");
    if (counter) {
      counter.hidden = split.length < 2;
      counter.textContent = n + 1 + " / " + split.length;
    }
  }

  function next(panel) {
    var count = (pages[panel.id] || [[]]).length;
    show(panel, ((shown[panel.id] || 0) + 1) % count);
  }

  function layout() {
    var panels = live.querySelectorAll("[data-pager]");
    root.classList.toggle("paged", panels.length > 0);
    for (var i = 0; i < panels.length; i++) paginate(panels[i]);
  }

  live.addEventListener("click", function (e) {
    var counter = e.target.closest && e.target.closest(".pager");
    if (counter) next(counter.closest("[data-pager]"));
  });
  if (turn) {
    setInterval(function () {
      var panels = live.querySelectorAll("[data-pager]");
      for (var i = 0; i < panels.length; i++) next(panels[i]);
    }, turn);
  }
  window.addEventListener("resize", layout);
  window.addEventListener("load", layout);
  layout();
  if (!window.fetch) return;

  var url = new URL(location.href);
  url.searchParams.set("fragment", "1");
  var last = null, count = 0;
  function tick() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        if (html !== last) { live.innerHTML = html; last = html; layout(); }
        document.body.dataset.refreshes = String(++count);
        document.body.classList.remove("stale");
      })
      .catch(function () { document.body.classList.add("stale"); })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
