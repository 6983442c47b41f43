// Pictures of the graph with Cytoscape.js: the paths on the connections page, and an
// entity's neighbourhood (wherever a [data-neighbourhood-iri] element is) with a list of
// its relations in plain words beside it, the keyboard's way to the same thing.
// Every text goes through textContent or Cytoscape's data (drawn on a canvas), never HTML.
(function () {
  "use strict";
  if (typeof window.cytoscape === "undefined") { return; }
  var cytoscape = window.cytoscape;
  var graphs = window.tillvaxtgrafGraphs = [];  // for the browser tests

  var COLOURS = {
    actor: "#1f6fb4", region: "#2a8c2a", municipality: "#7cc46b", place: "#8c5a3c",
    arena: "#e0780b", strategy: "#8356b8", priority: "#d0569f", regulation: "#c62828",
    funding: "#a4a81a", task: "#138f9f", assignment: "#6d6d6d", project: "#b08a7a",
    source: "#8fb3d9", other: "#b9b9b9"
  };
  var TEXTS = {
    sv: {
      heading: "Relationer", picture: "Bild över {name} och det som hänger ihop med det. Samma relationer finns i listan.",
      hint: "Välj en post för att visa dess relationer i bilden och i listan.",
      expand: "Visa relationerna för {name}", open: "öppna", added: "{n} nya i bilden, länkade till {name}.",
      none: "Inga relationer till andra entiteter.", capped: "Bara de första länkarna visas: {name} har fler.",
      more: "och {n} till", legend: "Färger", loading: "Hämtar …", failed: "Relationerna kunde inte hämtas."
    },
    en: {
      heading: "Relations", picture: "Picture of {name} and what is linked to it. The list has the same relations.",
      hint: "Choose an entry to show its relations in the picture and in the list.",
      expand: "Show the relations of {name}", open: "open", added: "{n} new in the picture, linked to {name}.",
      none: "No relations to other entities.", capped: "Only the first links are shown: {name} has more.",
      more: "and {n} more", legend: "Colours", loading: "Loading …", failed: "The relations could not be loaded."
    }
  };

  function say(lang, key, values) {
    var text = (TEXTS[lang] || TEXTS.en)[key];
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  }

  function el(name, className, text) {
    var node = document.createElement(name);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function colour(kind) { return COLOURS[kind] || COLOURS.other; }

  var STYLE = [
    { selector: "node", style: {
      "background-color": "data(colour)", "label": "data(label)", "font-size": 11,
      "color": "#1b1f24", "text-valign": "bottom", "text-halign": "center", "text-margin-y": 4,
      "text-wrap": "wrap", "text-max-width": 130, "text-background-color": "#ffffff",
      "text-background-opacity": 0.85, "text-background-padding": 2, "width": 18, "height": 18,
      "border-width": 1, "border-color": "#ffffff", "min-zoomed-font-size": 8
    } },
    { selector: "node.centre", style: { "width": 30, "height": 30, "border-width": 3, "border-color": "#1b1f24", "font-weight": "bold" } },
    { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1b1f24" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#0b5cad" } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#9aa4ae", "target-arrow-color": "#9aa4ae", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "label": "data(label)", "font-size": 9, "color": "#3a4450", "text-opacity": 0,
      "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.85,
      "text-background-padding": 1
    } },
    { selector: "edge.labelled", style: { "text-opacity": 1, "line-color": "#57606a", "target-arrow-color": "#57606a" } }
  ];

  // -- paths on the connections page ----------------------------------------------------
  function drawPaths() {
    var island = document.getElementById("connections-data");
    if (!island) { return; }
    var data = JSON.parse(island.textContent);
    document.querySelectorAll(".path-picture[data-path-index]").forEach(function (box) {
      var path = data.paths[Number(box.getAttribute("data-path-index"))];
      if (!path) { return; }
      var elements = path.nodes.map(function (node, i) {
        return { group: "nodes", data: { id: node.iri, label: node.label, kind: node.kind, colour: colour(node.kind), url: node.url },
          position: { x: i * 230, y: (i % 2) * 36 }, classes: (i === 0 || i === path.nodes.length - 1) ? "centre" : "" };
      });
      path.edges.forEach(function (edge, i) {
        elements.push({ group: "edges", data: { id: "e" + i, source: edge.subject, target: edge.object, label: edge.phrase },
          classes: "labelled" });
      });
      box.classList.add("has-picture");
      var cy = cytoscape({
        container: box, elements: elements, style: STYLE, layout: { name: "preset", padding: 30 },
        userZoomingEnabled: false, userPanningEnabled: false, boxSelectionEnabled: false, autoungrabify: true
      });
      cy.fit(undefined, 30);
      cy.on("tap", "node", function (event) {
        var url = event.target.data("url");
        if (url) { window.location.href = url; }
      });
      graphs.push(cy);
    });
  }

  // -- an entity's neighbourhood ---------------------------------------------------------
  function Neighbourhood(root) {
    this.root = root;
    this.iri = root.getAttribute("data-neighbourhood-iri");
    this.lang = root.getAttribute("data-lang") === "sv" ? "sv" : "en";
    this.api = root.getAttribute("data-api") || "/api/neighbourhood";
    this.expanded = {};
    this.build();
    this.load(this.iri, null);
  }

  Neighbourhood.prototype.build = function () {
    var root = this.root;
    root.textContent = "";
    root.classList.add("neighbourhood");
    var heading = el("h2", null, say(this.lang, "heading"));
    heading.id = "neighbourhood-heading";
    root.setAttribute("aria-labelledby", heading.id);
    root.appendChild(heading);
    this.status = el("p", "neighbourhood-status", say(this.lang, "loading"));
    this.status.setAttribute("role", "status");
    root.appendChild(this.status);
    var body = el("div", "neighbourhood-body");
    this.listBox = el("div", "neighbourhood-list");
    this.picture = el("div", "neighbourhood-picture");
    this.picture.setAttribute("role", "img");
    this.extra = el("ul", "relation-groups extra");
    body.appendChild(this.listBox);
    body.appendChild(this.picture);
    root.appendChild(body);
    this.legend = el("div", "neighbourhood-legend");
    root.appendChild(this.legend);
  };

  Neighbourhood.prototype.fetch = function (iri) {
    var url = this.api + "?iri=" + encodeURIComponent(iri) + "&lang=" + this.lang;
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  };

  Neighbourhood.prototype.load = function (iri, item) {
    var self = this;
    if (this.expanded[iri]) { return Promise.resolve(); }
    this.expanded[iri] = true;
    var top = iri === this.iri;
    return this.fetch(iri).then(function (data) {
      var added = self.merge(data);
      var target = item;
      if (!top && !item) {  // a node of the picture that the list does not show yet
        target = el("li", "relation-item");
        target.setAttribute("data-iri", iri);
        target.appendChild(el("span", "phrase", data.label));
        self.extra.appendChild(target);
      }
      self.renderGroups(target || self.listBox, data, top);
      if (top) {
        self.picture.setAttribute("aria-label", say(self.lang, "picture", { name: data.label }));
        self.status.textContent = data.capped ? say(self.lang, "capped", { name: data.label }) : "";
        if (!data.relations.length) { self.status.textContent = say(self.lang, "none"); }
      } else {
        self.status.textContent = say(self.lang, "added", { n: added, name: data.label });
      }
      self.renderLegend();
    }).catch(function () {
      self.expanded[iri] = false;
      self.status.textContent = say(self.lang, "failed");
    });
  };

  Neighbourhood.prototype.merge = function (data) {
    var self = this;
    var first = !this.cy;
    var elements = [];
    var added = 0;
    data.nodes.forEach(function (node) {
      if (self.cy && self.cy.getElementById(node.iri).nonempty()) { return; }
      added += 1;
      elements.push({ group: "nodes", data: { id: node.iri, label: node.label, kind: node.kind,
        kindLabel: node.kind_label, colour: colour(node.kind), url: node.url } });
    });
    data.edges.forEach(function (edge) {
      var id = edge.source + " " + edge.predicate + " " + edge.target;
      if (self.cy && self.cy.getElementById(id).nonempty()) { return; }
      elements.push({ group: "edges", data: { id: id, source: edge.source, target: edge.target, label: edge.label } });
    });
    if (first) {
      this.cy = cytoscape({ container: this.picture, elements: elements, style: STYLE,
        userZoomingEnabled: false, boxSelectionEnabled: false, minZoom: 0.2, maxZoom: 2.5 });
      this.cy.on("tap", "node", function (event) {
        var id = event.target.id();
        var item = self.listBox.querySelector('li[data-iri="' + cssEscape(id) + '"]');
        self.load(id, item);
      });
      this.cy.on("mouseover", "node", function (event) { event.target.connectedEdges().addClass("labelled"); });
      this.cy.on("mouseout", "node", function (event) {
        if (!event.target.hasClass("centre")) { event.target.connectedEdges().removeClass("labelled"); }
      });
      graphs.push(this.cy);
    } else {
      this.cy.add(elements);
    }
    var centre = this.cy.getElementById(data.center);
    centre.addClass(data.center === this.iri ? "centre" : "expanded");
    if (data.center === this.iri) { centre.connectedEdges().addClass("labelled"); }
    var self2 = this;
    if (first) {  // a star: the entity in the middle, what it links to in rings around it
      this.cy.layout({ name: "concentric", animate: false, padding: 20, minNodeSpacing: 34,
        concentric: function (node) { return node.id() === self2.iri ? 2 : 1; },
        levelWidth: function () { return 1; } }).run();
    } else {
      this.cy.layout({ name: "cose", animate: false, randomize: false, padding: 20, nodeOverlap: 24,
        nodeRepulsion: function () { return 24000; }, idealEdgeLength: function () { return 120; } }).run();
    }
    this.cy.fit(undefined, 20);
    return added;
  };

  Neighbourhood.prototype.renderGroups = function (target, data, top) {
    var self = this;
    var list = el("ul", top ? "relation-groups" : "relation-groups nested");
    data.relations.forEach(function (group) {
      var li = el("li", "relation-group");
      li.appendChild(el("span", "phrase", group.phrase));
      var items = el("ul", "relation-items");
      group.items.forEach(function (item) {
        var entry = el("li", "relation-item");
        entry.setAttribute("data-iri", item.iri);
        var button = el("button", "expand", item.text || item.label);
        button.type = "button";
        button.setAttribute("aria-expanded", "false");
        button.setAttribute("aria-label", say(self.lang, "expand", { name: item.text || item.label }));
        button.addEventListener("click", function () {
          button.setAttribute("aria-expanded", "true");
          self.load(item.iri, entry).then(function () {
            var node = self.cy && self.cy.getElementById(item.iri);
            if (node && node.nonempty()) { self.cy.$(":selected").unselect(); node.select(); }
          });
        });
        entry.appendChild(button);
        if (item.kind_label) { entry.appendChild(el("span", "kind", item.kind_label)); }
        var url = self.urlOf(item.iri);
        if (url) {
          var link = el("a", "open", say(self.lang, "open"));
          link.href = url;
          link.setAttribute("aria-label", say(self.lang, "open") + ": " + (item.label || ""));
          entry.appendChild(link);
        }
        items.appendChild(entry);
      });
      if (group.more) { items.appendChild(el("li", "more", say(self.lang, "more", { n: group.more }))); }
      li.appendChild(items);
      list.appendChild(li);
    });
    if (top) {
      this.listBox.textContent = "";
      if (data.relations.length) { this.listBox.appendChild(el("p", "hint", say(this.lang, "hint"))); }
    }
    target.appendChild(list);
    if (top) { this.listBox.appendChild(this.extra); }
  };

  Neighbourhood.prototype.urlOf = function (iri) {
    var node = this.cy && this.cy.getElementById(iri);
    return node && node.nonempty() ? node.data("url") : null;
  };

  Neighbourhood.prototype.renderLegend = function () {
    var self = this;
    var kinds = {};
    this.cy.nodes().forEach(function (n) { kinds[n.data("kind")] = n.data("kindLabel") || n.data("kind"); });
    this.legend.textContent = "";
    this.legend.appendChild(el("span", "legend-title", say(this.lang, "legend") + ":"));
    Object.keys(kinds).sort().forEach(function (kind) {
      var entry = el("span", "legend-entry");
      var swatch = el("span", "swatch");
      swatch.style.backgroundColor = colour(kind);
      swatch.setAttribute("aria-hidden", "true");
      entry.appendChild(swatch);
      entry.appendChild(document.createTextNode(kinds[kind]));
      self.legend.appendChild(entry);
    });
  };

  function cssEscape(value) {
    return window.CSS && window.CSS.escape ? window.CSS.escape(value) : value.replace(/["\\]/g, "\\$&");
  }

  drawPaths();
  document.querySelectorAll("[data-neighbourhood-iri]").forEach(function (root) { new Neighbourhood(root); });
})();
