// The draft ledger's 新增事项: a selection in the communique (#source-text) fills the form with its text and its
// offsets in the source text (the row numbers drawn inside the highlights are not part of the text).
(function () {
  "use strict";
  var source = document.getElementById("source-text");
  var text = document.getElementById("task-add-text");
  if (!source || !text) return;
  var start = document.getElementById("task-add-start");
  var end = document.getElementById("task-add-end");
  var panel = document.getElementById("task-add");

  function offset(node, at) {
    var range = document.createRange();
    range.setStart(source, 0);
    range.setEnd(node, at);
    var part = range.cloneContents();
    part.querySelectorAll(".span-no").forEach(function (n) { n.remove(); });
    return part.textContent.length;
  }

  source.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return;
    var range = sel.getRangeAt(0);
    if (!source.contains(range.startContainer) || !source.contains(range.endContainer)) return;
    var from = offset(range.startContainer, range.startOffset);
    var to = offset(range.endContainer, range.endOffset);
    var part = range.cloneContents();
    part.querySelectorAll(".span-no").forEach(function (n) { n.remove(); });
    var chosen = part.textContent.trim();
    if (!chosen || to <= from) return;
    text.value = chosen;
    start.value = from;
    end.value = to;
    if (panel) panel.open = true;
  });
  // typing changes the text: the server keeps the selection's place only while the text still matches it
  text.addEventListener("input", function () { start.value = ""; end.value = ""; });
})();
