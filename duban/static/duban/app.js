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

  // File pickers marked data-max-bytes (what their files may add up to, as the field states it): a JPEG or PNG
  // photo over 1 MB is shrunk in the browser when chosen (longest side 2000 px, sent as JPEG; a camera's 4 MB
  // photo becomes a few hundred KB), other files are sent as they are. A form whose files still add up to more is
  // not sent: the field says which file is too large, instead of the server refusing the whole request.
  var SHRINK_OVER = 1024 * 1024, LONGEST_SIDE = 2000, JPEG_QUALITY = 0.85;
  function sizeText(bytes) {
    return bytes >= 1024 * 1024 ? (Math.round(bytes / 104857.6) / 10) + "MB" : Math.max(1, Math.round(bytes / 1024)) + "KB";
  }
  function decoded(file) {  // the photo, turned upright as its EXIF says (a data: URL: the CSP allows no blob:)
    var viaImage = function () {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onerror = reject;
        reader.onload = function () {
          var img = new Image();
          img.onload = function () { resolve(img); };
          img.onerror = reject;
          img.src = reader.result;
        };
        reader.readAsDataURL(file);
      });
    };
    if (!window.createImageBitmap) { return viaImage(); }
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).catch(viaImage);
  }
  function shrunk(file) {
    if (!/^image\/(jpeg|png)$/.test(file.type) || file.size <= SHRINK_OVER) { return Promise.resolve(file); }
    return decoded(file).then(function (img) {
      var w = img.width, h = img.height, scale = Math.min(1, LONGEST_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";  // a PNG's transparent parts, which JPEG cannot keep
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) { img.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.(jpe?g|png)$/i, "") + ".jpg",
                           { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", JPEG_QUALITY);
      });
    }).catch(function () { return file; });  // a photo the browser cannot read goes as it is
  }
  function uploadNote(input) {
    var note = input.parentNode.querySelector(".upload-note");
    if (!note) {
      note = document.createElement("div");
      note.className = "upload-note small mt-1";
      note.setAttribute("aria-live", "polite");
      input.parentNode.insertBefore(note, input.nextSibling);
    }
    return note;
  }
  function say(input, text, bad) {
    var note = uploadNote(input);
    note.textContent = text;
    note.classList.toggle("text-danger", !!bad);
    note.classList.toggle("text-muted", !bad);
    input.classList.toggle("is-invalid", !!bad);
  }
  function tooLarge(input) {  // what is wrong with the chosen files, or "" when they fit
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10), files = Array.prototype.slice.call(input.files || []);
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    if (!limit || total <= limit) { return ""; }
    var largest = files.reduce(function (a, b) { return b.size > a.size ? b : a; });
    if (largest.size > limit) {
      return "“" + largest.name + "”（" + sizeText(largest.size) + "）过大：本栏文件合计不能超过" + sizeText(limit) +
        "，请换一个较小的文件。";
    }
    return "所选文件合计" + sizeText(total) + "，超过本栏上限" + sizeText(limit) + "；其中最大的是“" + largest.name +
      "”（" + sizeText(largest.size) + "），请少选几个或换用较小的文件。";
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var chosen = Array.prototype.slice.call(input.files || []);
    var before = chosen.reduce(function (sum, f) { return sum + f.size; }, 0);
    if (!chosen.some(function (f) { return /^image\/(jpeg|png)$/.test(f.type) && f.size > SHRINK_OVER; })
        || typeof DataTransfer === "undefined") {
      var wrong = tooLarge(input);
      say(input, wrong, !!wrong);
      return;
    }
    say(input, "正在压缩照片…", false);
    input.uploadPending = Promise.all(chosen.map(shrunk)).then(function (files) {
      if (input.uploadPending !== pending) { return; }  // chosen again meanwhile
      try {
        var list = new DataTransfer();
        files.forEach(function (f) { list.items.add(f); });
        input.files = list.files;
      } catch (e) { /* the browser keeps the files as chosen */ }
      input.uploadPending = null;
      var after = Array.prototype.reduce.call(input.files, function (sum, f) { return sum + f.size; }, 0);
      var wrong = tooLarge(input);
      say(input, wrong || (after < before ? "照片已压缩：" + sizeText(before) + " → " + sizeText(after) : ""), !!wrong);
    });
    var pending = input.uploadPending;
  });
  // Runs before the form's other submit handlers (capture): a refused form is neither marked busy nor its draft
  // forgotten. A form sent while its photos are still being shrunk is sent when they are done.
  document.addEventListener("submit", function (event) {
    var form = event.target, inputs = form.querySelectorAll ? form.querySelectorAll("input[type=file][data-max-bytes]") : [];
    var pending = Array.prototype.filter.call(inputs, function (i) { return i.uploadPending; });
    if (pending.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter;
      Promise.all(pending.map(function (i) { return i.uploadPending; })).then(function () {
        if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
      });
      return;
    }
    for (var n = 0; n < inputs.length; n++) {
      var wrong = tooLarge(inputs[n]);
      if (wrong) {
        event.preventDefault();
        event.stopImmediatePropagation();
        say(inputs[n], wrong, true);
        inputs[n].focus();
        return;
      }
    }
  }, true);

  // A long <select multiple> (配合单位: fifty units) becomes a list of checkboxes with a search box: no Ctrl-click,
  // and a phone can tick units. The select stays in the form, hidden, and carries the choice; without script it
  // is the plain select. Its label's "按住 Ctrl" hint is dropped, since the checkboxes need none.
  var CHECKLIST_FROM = 8;  // options; a short select stays as it is
  function checklist(select) {
    if (select.dataset.checklist || select.options.length < CHECKLIST_FROM) { return; }
    select.dataset.checklist = "1";
    var key = (select.id || select.name).replace(/[^\w-]/g, "_");
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    var named = (select.getAttribute("aria-label") || (label ? label.textContent : "") || "").replace(/（按住 ?Ctrl ?可多选）/, "");
    if (label) { label.textContent = label.textContent.replace(/（按住 ?Ctrl ?可多选）/, "（可多选）"); }
    var box = document.createElement("div");
    box.className = "checklist";
    var search = document.createElement("input");
    search.type = "search";
    search.className = "form-control form-control-sm checklist-search";
    search.placeholder = "输入名称筛选";
    search.setAttribute("aria-label", "筛选" + (named || "选项"));
    var chosen = document.createElement("div");
    chosen.className = "checklist-chosen small text-muted";
    chosen.setAttribute("aria-live", "polite");
    var items = document.createElement("div");
    items.className = "checklist-items";
    items.setAttribute("role", "group");
    if (named) { items.setAttribute("aria-label", named); }
    Array.prototype.forEach.call(select.options, function (option, n) {
      if (!option.value) { return; }
      var row = document.createElement("div");
      row.className = "form-check";
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.className = "form-check-input";
      tick.id = "cl-" + key + "-" + n;
      tick.checked = option.selected;
      tick.disabled = option.disabled;
      tick.addEventListener("change", function () {
        option.selected = tick.checked;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        sayChosen();
      });
      var text = document.createElement("label");
      text.className = "form-check-label";
      text.htmlFor = tick.id;
      text.textContent = option.textContent;
      row.appendChild(tick);
      row.appendChild(text);
      items.appendChild(row);
    });
    function sayChosen() {
      var names = Array.prototype.filter.call(select.options, function (o) { return o.selected && o.value; })
        .map(function (o) { return o.textContent; });
      chosen.textContent = names.length ? "已选" + names.length + "个：" + names.join("、") : "未选";
    }
    search.addEventListener("input", function () {
      var q = search.value.trim();
      items.querySelectorAll(".form-check").forEach(function (row) {
        row.hidden = q !== "" && row.textContent.indexOf(q) < 0;
      });
    });
    search.addEventListener("keydown", function (event) {  // Enter filters; it must not send the form
      if (event.key === "Enter") { event.preventDefault(); }
    });
    box.appendChild(search);
    box.appendChild(chosen);
    box.appendChild(items);
    select.hidden = true;
    select.classList.add("d-none");
    select.parentNode.insertBefore(box, select.nextSibling);
    sayChosen();
  }
  function checklists(root) {
    (root || document).querySelectorAll("select[multiple]").forEach(checklist);
  }

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
    row.querySelectorAll(".checklist").forEach(function (copied) { copied.remove(); });  // rebuilt below, unticked
    row.querySelectorAll("select[data-checklist]").forEach(function (select) {
      delete select.dataset.checklist;
      select.hidden = false;
      select.classList.remove("d-none");
    });
    last.parentNode.insertBefore(row, last.nextSibling);
    checklists(row);
    if (window.htmx) { window.htmx.process(row); }  // the copied date field's 非工作日 check (hx-get)
    button.disabled = n + 1 >= limit;
    var first = row.querySelector("select:not([hidden])");
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

  function init(root) { applyWidths(root); linkSpans(root); keepDrafts(root); checklists(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body.addEventListener("htmx:afterSwap", function (event) { init(event.detail.target.parentNode || document); });
  init(document);
})();
