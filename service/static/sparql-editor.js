// The query editor at /sparql: YASGUI over this service's own endpoint.
// Everything it needs comes from this service: the prefixes and the ready examples from the
// page's JSON data island, the ontology's classes and properties from /sparql/terms. No
// prefix.cc, no Linked Open Vocabularies, no list of other endpoints. Without JavaScript
// (or if YASGUI fails to load) the plain form on the page stays.
(function () {
  "use strict";

  var host = document.getElementById("yasgui");
  var island = document.getElementById("editor-config");
  if (!host || !island || typeof window.Yasgui === "undefined") { return; }
  var Yasgui = window.Yasgui;
  var Yasqe = Yasgui.Yasqe;
  var Yasr = Yasgui.Yasr;
  var config = JSON.parse(island.textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var termsUrl = new URL(config.termsUrl, window.location.href).href;
  var SVG = "http://www.w3.org/2000/svg";

  // -- autocompletion from our own vocabulary ----------------------------------------
  var termsPromise = null;
  function terms() {
    if (!termsPromise) {
      termsPromise = fetch(termsUrl + "?lang=en", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { classes: [], properties: [] }; })
        .catch(function () { return { classes: [], properties: [] }; });
    }
    return termsPromise;
  }
  function termCompleter(kind) {
    // Bulk: YASQE asks once for every IRI and completes by prefix from its own index.
    return {
      bulk: true,
      persistenceId: undefined,
      get: function () {
        return terms().then(function (t) { return t[kind].map(function (e) { return e.iri; }); });
      }
    };
  }
  Object.assign(Yasqe.Autocompleters["class"], termCompleter("classes"));
  Object.assign(Yasqe.Autocompleters.property, termCompleter("properties"));

  // Prefix declarations complete with ours first (then YASQE's bundled list, no network).
  var bundledPrefixes = Yasqe.Autocompleters.prefixes.get;
  Yasqe.Autocompleters.prefixes.get = function (yasqe) {
    var ours = Object.keys(config.prefixes).map(function (p) { return p + ": <" + config.prefixes[p] + ">"; });
    return Promise.resolve(bundledPrefixes.call(this, yasqe)).then(function (list) {
      return ours.concat((list || []).filter(function (line) { return ours.indexOf(line) < 0; }));
    });
  };

  // -- a chart of one label column against one numeric column -------------------------
  var NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;

  function chartData(results) {
    if (!results || !results.getVariables || !results.getBindings) { return null; }
    var vars = results.getVariables() || [];
    var rows = results.getBindings() || [];
    if (!vars.length || !rows.length) { return null; }
    var numeric = vars.filter(function (v) {
      return rows.every(function (row) {
        var cell = row[v];
        return !cell || (cell.type !== "uri" && NUMERIC.test(cell.datatype || "") && isFinite(Number(cell.value)));
      }) && rows.some(function (row) { return row[v]; });
    });
    if (!numeric.length) { return null; }
    var value = numeric[0];
    // The label column: the first one of text (literals), else the first other one.
    var others = vars.filter(function (v) { return numeric.indexOf(v) < 0; });
    var texts = others.filter(function (v) {
      return rows.every(function (row) { return !row[v] || row[v].type === "literal"; });
    });
    var label = texts[0] || others[0];
    return {
      valueVar: value,
      labelVar: label,
      bars: rows.slice(0, 60).map(function (row, i) {
        var cell = label ? row[label] : null;
        return { label: cell ? shorten(cell.value) : String(i + 1), value: Number((row[value] || {}).value || 0) };
      })
    };
  }

  function shorten(value) {
    var names = Object.keys(config.prefixes);
    for (var i = 0; i < names.length; i++) {
      var ns = config.prefixes[names[i]];
      if (value.indexOf(ns) === 0 && value.length > ns.length) { return names[i] + ":" + value.slice(ns.length); }
    }
    return value;
  }

  function svg(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  function ChartPlugin(yasr) {
    this.yasr = yasr;
    this.label = "Chart";
    this.priority = 1;
  }
  ChartPlugin.prototype.canHandleResults = function () { return !!chartData(this.yasr.results); };
  ChartPlugin.prototype.getIcon = function () {
    var icon = svg("svg", { viewBox: "0 0 16 16", width: "16", height: "16", "aria-hidden": "true" });
    [[1, 9, 3, 6], [6, 4, 3, 11], [11, 7, 3, 8]].forEach(function (b) {
      icon.appendChild(svg("rect", { x: b[0], y: b[1], width: b[2], height: b[3], fill: "currentColor" }));
    });
    return icon;
  };
  ChartPlugin.prototype.draw = function () {
    var data = chartData(this.yasr.results);
    var box = document.createElement("div");
    box.className = "tg-chart";
    if (!data) {
      box.textContent = "A chart needs a column of numbers.";
      this.yasr.resultsEl.appendChild(box);
      return;
    }
    var max = Math.max.apply(null, data.bars.map(function (b) { return Math.abs(b.value); })) || 1;
    var rowHeight = 22, labelWidth = 260, barWidth = 420;
    var height = data.bars.length * rowHeight + 10;
    var chart = svg("svg", { width: String(labelWidth + barWidth + 80), height: String(height), role: "img",
      "class": "tg-chart-svg" });
    var title = svg("title");
    title.textContent = (data.labelVar ? "?" + data.labelVar + " by " : "") + "?" + data.valueVar;
    chart.setAttribute("aria-label", title.textContent);
    chart.appendChild(title);
    data.bars.forEach(function (bar, i) {
      var y = 5 + i * rowHeight;
      var name = svg("text", { x: String(labelWidth - 8), y: String(y + 15), "text-anchor": "end" });
      name.textContent = bar.label.length > 40 ? bar.label.slice(0, 39) + "…" : bar.label;
      var width = Math.max(1, Math.round(Math.abs(bar.value) / max * barWidth));
      var rect = svg("rect", { x: String(labelWidth), y: String(y + 3), width: String(width), height: "15", "class": "tg-bar" });
      var amount = svg("text", { x: String(labelWidth + width + 6), y: String(y + 15) });
      amount.textContent = String(bar.value);
      chart.appendChild(name);
      chart.appendChild(rect);
      chart.appendChild(amount);
    });
    box.appendChild(chart);
    this.yasr.resultsEl.appendChild(box);
  };
  Yasr.registerPlugin("chart", ChartPlugin);

  // -- the editor -----------------------------------------------------------------------
  function renderEndpoint(item, target) {
    var line = document.createElement("span");
    line.textContent = item.value && item.value.endpoint ? item.value.endpoint : String(item.value || "");
    target.appendChild(line);
  }

  var form = document.getElementById("plain-editor");
  var yasgui;
  try {
    host.hidden = false;
    yasgui = new Yasgui(host, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [], renderItem: renderEndpoint },
      persistenceId: "tillvaxtgraf",
      yasqe: { value: config.starter, prefixCcApi: null, editorHeight: "auto", viewportMargin: Infinity },
      yasr: { prefixes: config.prefixes, pluginOrder: ["table", "response", "chart"], defaultPlugin: "table" }
    });
  } catch (error) {
    host.hidden = true;
    if (window.console) { window.console.error("the query editor could not start", error); }
    return;
  }
  if (form) { form.hidden = true; }
  window.tillvaxtgrafEditor = yasgui;  // for the browser tests and curious analysts

  // Accessibility: name the fields YASGUI leaves unnamed, keep its tab list to tabs (its
  // "+" stays for the mouse; a real button beside the editor does the same for keyboards
  // and screen readers), and let the editor grow with its text instead of scrolling inside.
  var newTab = document.createElement("button");
  newTab.type = "button";
  newTab.className = "new-tab";
  newTab.textContent = "New query tab";
  newTab.addEventListener("click", function () { yasgui.addTab(true); });
  host.parentNode.insertBefore(newTab, host);
  function polish() {
    host.querySelectorAll(".CodeMirror textarea:not([aria-label])").forEach(function (area) {
      area.setAttribute("aria-label", "SPARQL query");
    });
    host.querySelectorAll("input.autocomplete:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "SPARQL endpoint");
    });
    host.querySelectorAll(".tabsList input[type=text]:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "Tab name");
    });
    host.querySelectorAll(".tabsList .addTab").forEach(function (add) {
      add.setAttribute("tabindex", "-1");
      if (add.parentNode) { add.parentNode.setAttribute("aria-hidden", "true"); }
    });
    host.querySelectorAll(".CodeMirror-scroll[tabindex='-1']").forEach(function (scroller) {
      scroller.setAttribute("tabindex", "0");  // a region that scrolls is reachable by keyboard
    });
  }
  polish();
  new MutationObserver(polish).observe(host, { childList: true, subtree: true });

  // Ready examples open in a tab of their own (once: a second click selects that tab).
  var byName = {};
  (config.examples || []).forEach(function (e) { byName[e.name] = e; });
  document.querySelectorAll("a[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var example = byName[link.getAttribute("data-example")];
      if (!example) { return; }
      event.preventDefault();
      var tab = yasgui.addTab(true, { name: example.name, yasqe: { value: example.query },
        requestConfig: { endpoint: endpoint } }, { avoidDuplicateTabs: true });
      if (tab && tab.getYasqe && tab.getYasqe()) { tab.getYasqe().focus(); }
      host.scrollIntoView({ block: "start" });
    });
  });
})();
