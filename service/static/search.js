// Autocomplete for the search boxes: an accessible combobox over /api/suggest.
// Every text is set with textContent, never as HTML.
(function () {
  "use strict";

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) { return; }
    var url = input.getAttribute("data-suggest-url");
    var lang = input.getAttribute("data-lang") || "sv";
    var navigate = input.id === "q";
    var items = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      if (navigate) {
        window.location.href = item.url;
        return;
      }
      input.value = item.label;
      input.setAttribute("data-iri", item.iri);
      close();
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("li");
      nodes.forEach(function (node, i) { node.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && nodes[index]) {
        input.setAttribute("aria-activedescendant", nodes[index].id);
      }
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.textContent = s.label;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = s.kind_label;
        li.appendChild(label);
        li.appendChild(kind);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      var open = suggestions.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      input.removeAttribute("data-iri");
      if (!text) { render([]); return; }
      var ticket = ++latest;
      fetch(url + "?q=" + encodeURIComponent(text) + "&lang=" + lang, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (ticket === latest) { render(data.suggestions || []); } })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(setup);

  // The connections form sends the chosen entities' IRIs, not their labels.
  var form = document.querySelector(".connections-form");
  if (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[data-iri]").forEach(function (input) {
        input.value = input.getAttribute("data-iri");
      });
    });
  }
})();
