/* selfassess: the little behaviour htmx does not give us. No inline script anywhere (CSP). */
(function () {
  "use strict";

  function statusBar() {
    return document.getElementById("connection-status");
  }

  function showProblem(message) {
    var bar = statusBar();
    if (bar) bar.textContent = message;
  }

  function clearProblem() {
    var bar = statusBar();
    if (bar) bar.textContent = "";
  }

  // The title of our 503 answer ("The service is unavailable", "Maintenance, back shortly").
  function unavailableText(xhr) {
    try {
      var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var title = answer.querySelector(".notice strong, h1");
      if (title) return title.textContent.trim().replace(/\.$/, "") + ".";
    } catch (e) { /* not HTML */ }
    return "selfassess is unavailable for a moment.";
  }

  // A request that never reached us: say so, and keep what is on the page.
  document.addEventListener("htmx:sendError", function () {
    showProblem("We could not reach selfassess. Check your connection; nothing on this page has been lost.");
  });

  // Errors that are not swapped into the page (see htmx-config): say what happened instead of
  // leaving the click without an answer. The server sends a short message for these requests.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status === 503 || status === 502 || status === 504) {
      // The service or its database is away for a moment: say so (autosaves retry by themselves).
      showProblem(unavailableText(xhr) + " Nothing on this page has been lost.");
      return;
    }
    if (status >= 500) {
      showProblem("Something went wrong on our side (error " + status + "). Please try again.");
      return;
    }
    var text = "";
    try {
      var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var notice = answer.querySelector(".notice p, main p.lead, main p");
      text = notice ? notice.textContent.trim() : "";
    } catch (e) { /* not HTML: fall through to the general message */ }
    showProblem(text || "That did not work (error " + status + "). Reload the page and try again.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) clearProblem();
  });

  // After boosted navigation, move focus where a screen-reader user needs it: to the list of
  // problems when a form came back with errors, otherwise to the new page's heading.
  // The <details> around a failed form stay open, so the field with the error is not hidden.
  function openAround(element) {
    for (var at = element; at; at = at.parentElement) {
      if (at.tagName === "DETAILS") at.open = true;
    }
  }
  function focusSummary(summary) {
    openAround(summary);
    summary.focus();
  }
  function focusPage() {
    var summary = document.querySelector("main .error-summary");
    if (summary) return focusSummary(summary);
    var heading = document.querySelector("main h1");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) return focusPage();
    // A part of the page swapped in place (an action card) that came back with its errors.
    var swapped = event.detail.elt;
    var summary = swapped && swapped.querySelector ? swapped.querySelector(".error-summary") : null;
    if (summary) focusSummary(summary);
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("main .error-summary")) focusPage();
  });
})();

/* Print buttons (no inline script: a data attribute instead). */
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) window.print();
});

/* Autosave safety net. Forms marked data-autosave are saved by htmx as people type; forms marked
   data-keep-unsaved (progress notes) are sent with their button. For both, here we
   (1) keep a copy of unsaved text in this browser until the server confirms the save,
   (2) warn before leaving the page while a save is pending or failed,
   (3) retry when the server cannot be reached or answers 503 (see retryLater), and
   (4) offer to restore text that never reached the server (a crash, a closed laptop). */
(function () {
  "use strict";
  var PREFIX = "selfassess-unsaved:";
  var dirty = {};

  var KEPT = "form[data-autosave], form[data-keep-unsaved]";

  function keyFor(form) {
    return PREFIX + (form.getAttribute("data-autosave") || form.getAttribute("data-keep-unsaved"));
  }

  // A note form gets one random key per note, so the server adds a note sent twice only once.
  function stampSubmission(form) {
    var key = form.querySelector("input[name=submission_key]");
    if (!key || key.value) return;
    key.value = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
      : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 14);
  }

  function snapshot(form) {
    var data = {};
    Array.prototype.forEach.call(form.querySelectorAll("textarea, input[type=radio]:checked"), function (field) {
      data[field.name] = field.value;
    });
    return data;
  }

  function keep(event) {
    var form = event.target.closest && event.target.closest(KEPT);
    if (!form) return;
    stampSubmission(form);
    dirty[keyFor(form)] = true;
    try { localStorage.setItem(keyFor(form), JSON.stringify(snapshot(form))); } catch (e) { /* storage full or off */ }
  }
  document.addEventListener("input", keep);
  document.addEventListener("change", keep);  // a file chosen for a note

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches(KEPT)) return;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (event.detail.successful) {
      delete dirty[keyFor(form)];
      stopRetrying(form);
      try { localStorage.removeItem(keyFor(form)); } catch (e) { /* ignore */ }
    } else if (status === 0 || status === 502 || status === 503 || status === 504) {
      retryLater(form);  // the network or the service is away: the text stays, and so does "dirty"
    }
  });

  /* When an autosave cannot reach the server, or the server answers 503 (database away, restart,
     maintenance), the status beside the field says so (never "Saved"), and the same form is sent
     again after 1, 2, 4, ... up to 30 seconds, with the version it holds: the server's usual
     version check decides, and a repeat of a save that did land counts as that save. */
  var DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];
  var retrying = {};

  function statusOf(form) {
    var target = form.getAttribute("data-save-status") || form.getAttribute("hx-target");
    return target ? document.querySelector(target) : null;
  }

  function retryLater(form) {
    var key = keyFor(form);
    var state = retrying[key] || (retrying[key] = { attempt: 0, timer: null });
    if (state.timer) clearTimeout(state.timer);
    var delay = DELAYS[Math.min(state.attempt, DELAYS.length - 1)];
    state.attempt += 1;
    dirty[key] = true;
    var status = statusOf(form);
    if (status) {
      status.classList.remove("save-status--saved", "save-status--error");
      status.classList.add("save-status--pending");
      status.textContent = "Not saved yet, retrying in " + Math.round(delay / 1000) +
        " s. Your text is kept in this browser; do not close the page.";
    }
    state.timer = setTimeout(function () {
      state.timer = null;
      if (document.body.contains(form)) htmx.trigger(form, "submit");
    }, delay);
  }

  function stopRetrying(form) {
    var state = retrying[keyFor(form)];
    if (state && state.timer) clearTimeout(state.timer);
    delete retrying[keyFor(form)];
  }

  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(dirty).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function offerRestore(root) {
    Array.prototype.forEach.call(root.querySelectorAll(KEPT), function (form) {
      var saved;
      try { saved = JSON.parse(localStorage.getItem(keyFor(form)) || "null"); } catch (e) { saved = null; }
      if (!saved) return;
      var differs = Object.keys(saved).some(function (name) {
        var field = form.querySelector("textarea[name='" + name + "']");
        return field && field.value !== saved[name];
      });
      if (!differs || form.querySelector(".restore-unsaved")) {
        if (!differs) localStorage.removeItem(keyFor(form));
        return;
      }
      var notice = document.createElement("div");
      notice.className = "notice notice--warning restore-unsaved";
      notice.setAttribute("role", "alert");
      var text = document.createElement("p");
      text.textContent = "This browser kept text you typed here that never reached the server.";
      var restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button button--small";
      restore.textContent = "Restore my unsaved text";
      restore.addEventListener("click", function () {
        Object.keys(saved).forEach(function (name) {
          var field = form.querySelector("textarea[name='" + name + "']");
          if (field) field.value = saved[name];
        });
        notice.remove();
        htmx.trigger(form, "submit");
      });
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button--secondary button--small";
      discard.textContent = "Discard it";
      discard.addEventListener("click", function () {
        localStorage.removeItem(keyFor(form));
        notice.remove();
      });
      notice.appendChild(text);
      notice.appendChild(restore);
      notice.appendChild(document.createTextNode(" "));
      notice.appendChild(discard);
      form.insertBefore(notice, form.firstChild);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { offerRestore(document); });
  document.addEventListener("htmx:afterSettle", function (event) { offerRestore(event.detail.elt || document); });

  // A link to a collapsed section (an action card: /plans/1#action-5) opens it and brings it into view.
  function openLinkedSection() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target || target.tagName !== "DETAILS" || target.open) return;
    target.open = true;
    target.scrollIntoView();
  }
  document.addEventListener("DOMContentLoaded", openLinkedSection);
  window.addEventListener("hashchange", openLinkedSection);
  document.addEventListener("htmx:afterSettle", openLinkedSection);
})();

/* Phones. (1) Below 40rem the stylesheet shows each table row as a stacked list; here every cell
   gets its column's heading as data-label (shown beside the value) and ARIA roles, so the stacked
   rows still read as a table. (2) On a phone a key question's statements open one at a time
   (the one linked to, or the first still unscored), so each fits the screen; wider screens keep
   them all open. */
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 40rem)");

  function headings(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    var row = rows.length ? rows[rows.length - 1] : null;
    var names = [];
    if (!row) return names;
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var span = 0; span < (cell.colSpan || 1); span++) names.push(cell.textContent.trim());
    });
    return names;
  }

  function labelTables(root) {
    Array.prototype.forEach.call(root.querySelectorAll("main table"), function (table) {
      var names = headings(table);
      table.setAttribute("role", "table");
      Array.prototype.forEach.call(table.querySelectorAll("thead, tbody, tfoot"), function (group) {
        group.setAttribute("role", "rowgroup");
      });
      Array.prototype.forEach.call(table.rows, function (row) {
        row.setAttribute("role", "row");
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var header = cell.tagName === "TH";
          var inHead = row.parentElement && row.parentElement.tagName === "THEAD";
          cell.setAttribute("role", inHead ? "columnheader" : header ? "rowheader" : "cell");
          if (!header && !inHead && cell.colSpan === 1 && names[column]) cell.setAttribute("data-label", names[column]);
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function statementsOneAtATime() {
    if (!PHONE.matches) return;
    var statements = document.querySelectorAll("details.statement-body");
    if (!statements.length) return;
    var target = location.hash ? document.querySelector(location.hash + " details.statement-body") : null;
    var first = target || Array.prototype.find.call(statements, function (details) {
      return details.hasAttribute("data-unscored");
    }) || statements[0];
    Array.prototype.forEach.call(statements, function (details) {
      details.setAttribute("name", "statements");  // an exclusive accordion: opening one closes the others
      details.open = details === first;
    });
  }

  function phoneLayout(root) {
    labelTables(root || document);
    statementsOneAtATime();
  }
  document.addEventListener("DOMContentLoaded", function () { phoneLayout(document); });
  document.addEventListener("htmx:load", function (event) {
    var loaded = event.detail.elt;
    labelTables(loaded.parentElement || document);
    if (loaded.querySelector && loaded.querySelector("details.statement-body")) statementsOneAtATime();
  });
  window.addEventListener("hashchange", statementsOneAtATime);
})();
