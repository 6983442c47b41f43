// Starts Swagger UI on the page's OpenAPI document (kept out of the HTML: no inline scripts).
(function () {
  var target = document.getElementById("swagger-ui");
  if (!target || typeof SwaggerUIBundle === "undefined") { return; }
  SwaggerUIBundle({ url: target.getAttribute("data-spec-url"), dom_id: "#swagger-ui",
    deepLinking: true, tryItOutEnabled: true });
})();
