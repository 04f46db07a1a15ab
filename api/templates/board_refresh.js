// The board's in-place refresh (api/templates/board_base.html): fetch the page's fragment every
// data-refresh seconds and swap it into #live when it changed. Inlined into the page as it is;
// the page's Content-Security-Policy allows it by its hash (api.pages.assets).
(function () {
  var live = document.getElementById("live");
  var every = Number(document.body.dataset.refresh) * 1000;
  if (!live || !every || !window.fetch) return;
  var url = new URL(location.href);
  url.searchParams.set("fragment", "1");
  var last = null, count = 0;
  function tick() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        if (html !== last) { live.innerHTML = html; last = html; }
        document.body.dataset.refreshes = String(++count);
        document.body.classList.remove("stale");
      })
      .catch(function () { document.body.classList.add("stale"); })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
