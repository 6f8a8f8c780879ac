// duban: page behaviour that would otherwise need inline script (the CSP forbids it).
(function () {
  "use strict";
  var token = document.body.getAttribute("data-csrf-token") || "";

  // Every HTMX request carries the CSRF token Django expects.
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = token;
  });

  // Progress bars: widths come from data attributes, since style attributes are not allowed.
  function applyWidths(root) {
    (root || document).querySelectorAll("[data-width]").forEach(function (el) {
      var w = parseFloat(el.getAttribute("data-width"));
      if (!isNaN(w)) { el.style.width = Math.max(0, Math.min(100, w)) + "%"; }
    });
  }

  // A form marked data-busy shows its spinner and disables its buttons while the (slow) request runs.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]")) { return; }
    form.classList.add("busy");
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // Buttons that ask first: <button data-confirm="确定…？">.
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Hovering or focusing a draft task row highlights its sentence in the source text.
  function linkSpans(root) {
    (root || document).querySelectorAll("[data-span-for]").forEach(function (row) {
      if (row.dataset.spanLinked) { return; }
      row.dataset.spanLinked = "1";
      var id = row.getAttribute("data-span-for");
      var on = function () { var m = document.getElementById("span-" + id); if (m) { m.classList.add("selected"); } };
      var off = function () { var m = document.getElementById("span-" + id); if (m) { m.classList.remove("selected"); } };
      row.addEventListener("mouseenter", on);
      row.addEventListener("mouseleave", off);
    });
  }

  // 分解下达: 再加一行 copies the last row, blank, numbered next (the server reads lead_0, lead_1, ... up to the first
  // missing one), up to the button's data-split-add rows. Without script the form keeps its rows and the button
  // stays hidden.
  document.querySelectorAll("[data-split-add]").forEach(function (b) { b.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-split-add]") : null;
    if (!button) { return; }
    var rows = button.form.querySelectorAll(".split-row");
    var limit = parseInt(button.getAttribute("data-split-add"), 10) || 0;
    if (!rows.length || rows.length >= limit) { return; }
    var n = rows.length, last = rows[n - 1], row = last.cloneNode(true);
    row.querySelectorAll("select, input").forEach(function (field) {
      field.name = field.name.replace(/_\d+$/, "_" + n);
      if (field.id) { field.id = field.id.replace(/-\d+$/, "-" + n); }
      var label = field.getAttribute("aria-label");
      if (label) { field.setAttribute("aria-label", label.replace(/第\d+个/, "第" + (n + 1) + "个")); }
      if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (o) { o.selected = false; });
        if (!field.multiple) { field.selectedIndex = 0; }
      } else {
        field.value = "";
      }
    });
    row.querySelectorAll(".workday-note").forEach(function (note) { note.textContent = ""; });
    last.parentNode.insertBefore(row, last.nextSibling);
    if (window.htmx) { window.htmx.process(row); }  // the copied date field's 非工作日 check (hx-get)
    button.disabled = n + 1 >= limit;
    var first = row.querySelector("select");
    if (first) { first.focus(); }
  });

  // Split page: picking a suggested point fills the number box.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-split-at]")) {
      var box = document.getElementById("split-at");
      if (box) { box.value = el.getAttribute("data-split-at"); }
    }
  });

  // Text typed into a form marked data-draft="key" stays in this browser until the server confirms it was sent
  // (the next page carries data-draft-sent): an expired session, a sign-in, a lost connection lose nothing.
  var DRAFT = "duban-draft:", PENDING = "duban-draft-pending";
  function store(kind) { try { return window[kind]; } catch (e) { return null; } }
  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (f) {
      return f.name && f.name !== "csrfmiddlewaretoken" && f.type !== "hidden" && f.type !== "password"
        && f.type !== "file" && f.type !== "submit" && f.type !== "button";
    });
  }
  function saveDraft(form) {
    var data = {}, local = store("localStorage");
    draftFields(form).forEach(function (f) { data[f.name] = f.type === "checkbox" ? f.checked : f.value; });
    if (local) { local.setItem(DRAFT + form.getAttribute("data-draft"), JSON.stringify(data)); }
  }
  function keepDrafts(root) {
    var local = store("localStorage"), session = store("sessionStorage");
    if (!local) { return; }
    var pending = session && session.getItem(PENDING);
    if (pending && document.querySelector("[data-draft-sent]")) {
      local.removeItem(DRAFT + pending);
      session.removeItem(PENDING);
    }
    (root || document).querySelectorAll("form[data-draft]").forEach(function (form) {
      if (form.dataset.draftKept) { return; }
      form.dataset.draftKept = "1";
      var key = form.getAttribute("data-draft"), saved = local.getItem(DRAFT + key);
      if (saved) {
        var data = {};
        try { data = JSON.parse(saved) || {}; } catch (e) { data = {}; }
        draftFields(form).forEach(function (f) {
          if (!(f.name in data)) { return; }
          if (f.type === "checkbox") { f.checked = !!data[f.name]; } else { f.value = data[f.name]; }
        });
        var note = document.createElement("div");
        note.className = "small text-warning-emphasis mb-2 draft-restored";
        note.textContent = "已恢复您上次填写但尚未提交的内容。";
        form.insertBefore(note, form.firstChild);
      }
      form.addEventListener("input", function () { saveDraft(form); });
      form.addEventListener("change", function () { saveDraft(form); });
      form.addEventListener("submit", function () {
        saveDraft(form);
        if (session) { session.setItem(PENDING, key); }
      });
    });
  }

  function init(root) { applyWidths(root); linkSpans(root); keepDrafts(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body.addEventListener("htmx:afterSwap", function (event) { init(event.detail.target.parentNode || document); });
  init(document);
})();
