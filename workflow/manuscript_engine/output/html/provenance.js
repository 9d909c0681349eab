/* Where a number came from: focus or hover a quoted number (span.num[data-key]) and a
   panel shows its registry record (value, unit, n, test, table, rule, function, input
   hashes, commit). Engine code; every value is written with textContent, never as HTML. */
(function () {
  "use strict";
  var source = document.getElementById("provenance-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var panel = document.createElement("div");
  panel.id = "provenance-panel";
  panel.className = "provenance-panel";
  panel.setAttribute("role", "tooltip");
  panel.hidden = true;
  document.body.appendChild(panel);
  var current = null;
  var hideTimer = null;

  function row(list, label, value, code) {
    var term = document.createElement("dt");
    term.textContent = label;
    var detail = document.createElement("dd");
    if (code) {
      var inner = document.createElement("code");
      inner.textContent = value;
      detail.appendChild(inner);
    } else {
      detail.textContent = value;
    }
    list.appendChild(term);
    list.appendChild(detail);
  }

  function fill(key) {
    var record = data.keys[key];
    panel.textContent = "";
    var title = document.createElement("p");
    title.className = "provenance-title";
    title.textContent = "Provenance of " + (record ? record.text : "this number");
    panel.appendChild(title);
    var list = document.createElement("dl");
    panel.appendChild(list);
    row(list, "Key", key, true);
    if (!record) {
      row(list, "Record", "not found in this page's registry extract");
      return;
    }
    row(list, "Value", record.value);
    row(list, "Unit", record.unit);
    row(list, "n", record.n);
    if (record.method) { row(list, "Method", record.method); }
    if (record.test) {
      row(list, "Test", record.test.name);
      row(list, "Test statistic", record.test.statistic);
      row(list, "Group sizes", record.test.sizes);
      row(list, "P computed", record.test.variant);
    } else if (!record.method) {
      row(list, "Method", "not recorded for this key");
    }
    if (record.tables.length) {
      record.tables.forEach(function (table) {
        var where = table.document ? " in the " + table.document : "";
        row(list, "Table", table.label + where + " (" + table.name + "); printed there: " + table.printed);
      });
    } else {
      row(list, "Table", "none: computed by " + record.source);
    }
    row(list, "Rule", record.rule);
    row(list, "Function", record.function, true);
    row(list, "Module", record.module, true);
    data.data_inputs.concat(record.inputs).forEach(function (path) {
      row(list, "SHA-256 " + path, data.inputs[path] || "not recorded", true);
    });
    var commit = data.commit;
    if (data.uncommitted.length) {
      commit += " (uncommitted changes to " + data.uncommitted.length + " file(s))";
    }
    row(list, "Commit", commit, true);
  }

  function place(target) {
    var box = target.getBoundingClientRect();
    var width = Math.min(window.innerWidth - 16, 560);
    panel.style.maxWidth = width + "px";
    var left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
    panel.style.left = (left + window.scrollX) + "px";
    panel.style.top = (box.bottom + window.scrollY + 6) + "px";
  }

  function show(target) {
    window.clearTimeout(hideTimer);
    if (current && current !== target) { current.removeAttribute("aria-describedby"); }
    current = target;
    fill(target.getAttribute("data-key"));
    panel.hidden = false;
    place(target);
    target.setAttribute("aria-describedby", panel.id);
  }

  function hide() {
    panel.hidden = true;
    if (current) { current.removeAttribute("aria-describedby"); }
    current = null;
  }

  function later() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hide, 300);
  }

  function number(node) {
    return node && node.closest ? node.closest("span.num[data-key]") : null;
  }

  document.addEventListener("focusin", function (event) {
    var target = number(event.target);
    if (target) { show(target); }
  });
  document.addEventListener("focusout", function (event) {
    if (number(event.target)) { hide(); }
  });
  document.addEventListener("mouseover", function (event) {
    var target = number(event.target);
    if (target) { show(target); }
    else if (panel.contains(event.target)) { window.clearTimeout(hideTimer); }
  });
  document.addEventListener("mouseout", function (event) {
    if (number(event.target) || panel.contains(event.target)) { later(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { hide(); }
  });
}());
