// Citation previews: hovering or focusing a citation number shows the reference it
// points to, taken from the page's own reference list (as text, never as markup).
// One box serves every citation; Escape closes it, and the pointer may move onto it.
(function () {
  "use strict";
  var links = document.querySelectorAll('a[role="doc-biblioref"]');
  if (!links.length) return;
  var tip = document.createElement("div");
  tip.id = "cite-preview";
  tip.className = "cite-preview";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);
  var hideTimer = null;

  function referenceText(link) {
    var id = decodeURIComponent((link.getAttribute("href") || "").replace(/^#/, ""));
    var entry = id && document.getElementById(id);
    if (!entry) return "";
    var body = entry.querySelector(".csl-right-inline") || entry;
    return body.textContent.replace(/\s+/g, " ").trim();
  }

  var current = null;

  function show(link) {
    var text = referenceText(link);
    if (!text) return;
    clearTimeout(hideTimer);
    current = link;
    tip.textContent = text;
    tip.hidden = false;
    place(link);
  }

  function place(link) {
    var box = link.getBoundingClientRect();
    var width = tip.offsetWidth;
    var left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
    var top = box.bottom + 6;
    if (top + tip.offsetHeight > window.innerHeight - 8) {
      top = Math.max(8, box.top - tip.offsetHeight - 6);
    }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { tip.hidden = true; }, 300);
  }

  links.forEach(function (link) {
    link.setAttribute("aria-describedby", tip.id);
    link.addEventListener("mouseenter", function () { show(link); });
    link.addEventListener("focus", function () { show(link); });
    link.addEventListener("mouseleave", hideSoon);
    link.addEventListener("blur", hideSoon);
  });
  tip.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
  tip.addEventListener("mouseleave", hideSoon);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") tip.hidden = true;
  });
  window.addEventListener("scroll", function () {
    if (!tip.hidden && current) place(current);
  }, { passive: true });
})();
