// Dissent's comfort script. Every flow works without it; it only adds
// autosave, live preview and copy buttons. No inline script is allowed by the
// page CSP, so behaviour hangs off data- attributes.
"use strict";

/* == employee pages == */
// The draft editor: character counts, a copy of unsaved text in this tab's
// sessionStorage (so that text typed while the session ran out comes back
// after signing in again), and autosave of drafts nobody else has signed.
(function () {
  var PREFIX = "dissent-draft:";
  var FIELDS = ["title", "summary", "body"];

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  // Clear the tab's copy once the server has the text (the page after a save).
  document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
    var s = store();
    if (s) { s.removeItem(PREFIX + el.getAttribute("data-clear-draft")); }
  });

  document.querySelectorAll("[data-count-for]").forEach(function (out) {
    var input = document.getElementById(out.getAttribute("data-count-for"));
    if (!input) { return; }
    var limit = parseInt(input.getAttribute("data-limit"), 10);
    function update() {
      var n = Array.from(input.value).length;
      out.textContent = "(" + n.toLocaleString() + " of " + limit.toLocaleString() + " used)";
      out.classList.toggle("error", n > limit);
    }
    input.addEventListener("input", update);
    update();
  });

  var form = document.getElementById("editor");
  if (!form) { return; }
  var key = PREFIX + form.getAttribute("data-draft-key");
  var status = document.getElementById("autosave-status");
  var s = store();

  function values() {
    var v = {};
    FIELDS.forEach(function (f) { if (form.elements[f]) { v[f] = form.elements[f].value; } });
    return v;
  }
  function same(a, b) {
    return FIELDS.every(function (f) { return (a[f] || "") === (b[f] || ""); });
  }
  function say(text) { if (status) { status.textContent = text; } }

  if (s) {
    var kept = null;
    try { kept = JSON.parse(s.getItem(key) || "null"); } catch (e) { kept = null; }
    var shown = values();
    if (kept && !same(kept, shown)) {
      FIELDS.forEach(function (f) { if (form.elements[f] && typeof kept[f] === "string") { form.elements[f].value = kept[f]; } });
      say("Restored the text you had not saved yet, from this browser tab.");
      var undo = document.createElement("button");
      undo.type = "button";
      undo.className = "secondary";
      undo.id = "discard-restored";
      undo.textContent = "Discard the restored text";
      undo.addEventListener("click", function () {
        FIELDS.forEach(function (f) { if (form.elements[f]) { form.elements[f].value = shown[f] || ""; } });
        s.removeItem(key);
        undo.remove();
        say("Discarded; the form shows the saved text.");
        form.elements.title.focus();
      });
      status.after(undo);
    } else if (kept) {
      s.removeItem(key);
    }
  }

  var url = form.getAttribute("data-autosave");
  var timer = null;
  var stopped = false;
  function autosave() {
    if (!url || stopped) { return; }
    var body = new URLSearchParams();
    var v = values();
    FIELDS.forEach(function (f) { body.append(f, v[f] || ""); });
    fetch(url, { method: "POST", credentials: "same-origin", body: body })
      .then(function (resp) {
        if (resp.status === 204) {
          say("Saved automatically at " + new Date().toLocaleTimeString() + ".");
          return;
        }
        if (resp.status === 401) {
          say("Your session has ended. Your text is kept in this tab: sign in again in a new tab, then reload this page.");
          return;
        }
        return resp.json().then(function (j) {
          if (resp.status === 409) { stopped = true; }
          say("Not saved automatically: " + ((j && j.error && j.error.message) || "error " + resp.status) + ".");
        });
      })
      .catch(function () { say("Not saved automatically (no connection). Your text is kept in this tab."); });
  }

  form.addEventListener("input", function () {
    if (s) { try { s.setItem(key, JSON.stringify(values())); } catch (e) { /* storage full: the form still holds it */ } }
    if (url) {
      clearTimeout(timer);
      timer = setTimeout(autosave, 1500);
    }
  });
})();
