/* Search page: asks the search service (data-api) and shows results with facets; where
 * no service answers (a host that serves files only), it answers from the static index
 * the build writes (data-static), with search-static.js, loaded then. No library, no
 * request to another host. Without JS, the form submits to the service's /search,
 * which renders the same markup on the server.
 * data-mode: "auto" (the service, else the static index), "static" or "service". */
(function () {
  "use strict";

  var form = document.querySelector("form.search-form");
  var box = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !box || !status || !window.fetch) {
    return;
  }
  var input = form.querySelector("#search-q");
  var api = form.getAttribute("data-api") || "api/search";
  var variant = box.getAttribute("data-variant") || "";
  var strings = {
    total: "共 {n} 篇", none: "没有找到", unavailable: "搜索服务暂时不可用",
    county: "县区", theme: "主题", prev: "上一页", next: "下一页", all: "全部",
  };
  try {
    var given = JSON.parse(box.getAttribute("data-strings") || "{}");
    Object.keys(given).forEach(function (k) { strings[k] = given[k]; });
  } catch (e) { /* keep the defaults */ }
  var controller = null;
  var mode = form.getAttribute("data-mode") || "auto";
  var staticEntry = form.getAttribute("data-static");
  var staticScript = form.getAttribute("data-static-script");
  var staticIndex = null;  // a promise of the opened static index
  var serviceDown = mode === "static";
  try {
    if (mode === "auto" && sessionStorage.getItem("bulletin-search-service") === "down") {
      serviceDown = true;
    }
  } catch (e) { /* storage refused: ask the service each time */ }
  var generation = 0;  // the latest query; earlier answers are dropped

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  /* The snippet is escaped by the service except for <mark>: rebuild it as nodes. */
  function snippetNode(html) {
    var p = el("p", { class: "search-snippet" });
    var parts = String(html).split(/(<mark>|<\/mark>)/);
    var marked = false;
    var scratch = document.createElement("textarea");
    parts.forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) { return; }
      scratch.innerHTML = part;            // decodes entities only: a textarea holds text
      var text = scratch.value;
      p.appendChild(marked ? el("mark", {}, [text]) : document.createTextNode(text));
    });
    return p;
  }

  function currentParams() {
    var params = new URLSearchParams(location.search);
    return {
      q: params.get("q") || "",
      county: params.get("county") || "",
      theme: params.get("theme") || "",
      page: parseInt(params.get("page") || "1", 10) || 1,
    };
  }

  function pageUrl(state) {
    var params = new URLSearchParams();
    params.set("q", state.q);
    if (variant) { params.set("variant", variant); }
    if (state.county) { params.set("county", state.county); }
    if (state.theme) { params.set("theme", state.theme); }
    if (state.page > 1) { params.set("page", String(state.page)); }
    return location.pathname + "?" + params.toString();
  }

  function go(state) {
    history.pushState(state, "", pageUrl(state));
    run(state);
  }

  function filterLink(label, state, current) {
    var a = el("a", { href: pageUrl(state) }, label);
    if (current) { a.setAttribute("aria-current", "true"); }
    a.addEventListener("click", function (event) {
      event.preventDefault();
      go(state);
    });
    return el("li", {}, [a]);
  }

  function render(data, state) {
    box.textContent = "";
    var total = data.total || 0;
    box.setAttribute("data-total", String(total));
    status.textContent = total ? strings.total.replace("{n}", String(total)) : strings.none;
    // the count is shown in the results; the live region only announces it
    status.classList.add("visually-hidden");
    box.appendChild(el("p", { class: total ? "search-total" : "search-none" },
      [status.textContent]));
    var facets = el("div", { class: "search-facets" });
    ["county", "theme"].forEach(function (name) {
      var counts = (data.facets || {})[name] || {};
      var chosen = state[name];
      if (!Object.keys(counts).length && !chosen) { return; }
      var list = el("ul");
      var cleared = Object.assign({}, state, { page: 1 });
      cleared[name] = "";
      list.appendChild(filterLink([strings.all], cleared, !chosen));
      Object.keys(counts).forEach(function (value) {
        var next = Object.assign({}, state, { page: 1 });
        next[name] = value;
        list.appendChild(filterLink([value + " ",
          el("span", { class: "search-count" }, ["(" + counts[value] + ")"])],
          next, value === chosen));
      });
      facets.appendChild(el("section", { class: "search-facet", "aria-labelledby": "facet-" + name },
        [el("h2", { id: "facet-" + name }, [strings[name]]), list]));
    });
    box.appendChild(facets);
    var results = data.results || [];
    if (results.length) {
      var ol = el("ol", { class: "search-list",
        start: String((data.page - 1) * data.per_page + 1) });
      results.forEach(function (r) {
        ol.appendChild(el("li", { class: "search-result" }, [
          el("h2", { class: "search-title" }, [el("a", { href: r.url }, [r.title])]),
          el("p", { class: "search-meta" }, [
            el("span", { class: "search-county" }, [r.county]), " · ",
            el("span", { class: "search-theme" }, [r.theme]), " · ",
            el("time", { datetime: r.date }, [r.date]),
          ]),
          snippetNode(r.snippet),
        ]));
      });
      box.appendChild(ol);
    }
    var pages = Math.max(1, Math.ceil(total / data.per_page));
    if (pages > 1) {
      var nav = el("nav", { class: "search-pages", "aria-label": strings.pages || "pages" });
      if (state.page > 1) {
        var prev = filterLink([strings.prev], Object.assign({}, state, { page: state.page - 1 }));
        prev.firstChild.setAttribute("rel", "prev");
        nav.appendChild(prev.firstChild);
      }
      nav.appendChild(el("span", { class: "search-page" }, [state.page + " / " + pages]));
      if (state.page < pages && state.page * data.per_page < 1000) {
        var next = filterLink([strings.next], Object.assign({}, state, { page: state.page + 1 }));
        next.firstChild.setAttribute("rel", "next");
        nav.appendChild(next.firstChild);
      }
      box.appendChild(nav);
    }
  }

  function showError(message) {
    box.textContent = "";
    box.removeAttribute("data-total");
    status.classList.remove("visually-hidden");
    status.textContent = message;
  }

  function loadStatic() {
    if (staticIndex) { return staticIndex; }
    staticIndex = new Promise(function (resolve, reject) {
      if (!staticEntry || !staticScript || !window.DecompressionStream) {
        reject(new Error("no static index"));
        return;
      }
      if (window.BulletinStaticSearch) { resolve(); return; }
      var script = document.createElement("script");
      script.src = staticScript;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("static search did not load")); };
      document.head.appendChild(script);
    }).then(function () {
      var entry = new URL(staticEntry, location.href).href;
      return window.BulletinStaticSearch.open(entry, variant);
    });
    staticIndex.catch(function () { staticIndex = null; });
    return staticIndex;
  }

  function runStatic(state, mine) {
    return loadStatic().then(function (index) {
      return index.answer({
        q: state.q, county: state.county, theme: state.theme, page: state.page, per_page: 10,
      });
    }).then(function (data) {
      if (mine === generation) { render(data, state); }
    }, function (error) {
      if (mine !== generation) { return; }
      var known = window.BulletinStaticSearch && error instanceof window.BulletinStaticSearch.BadRequest;
      showError(known ? error.message : strings.unavailable);
    });
  }

  function serviceFailed() {
    serviceDown = true;
    try { sessionStorage.setItem("bulletin-search-service", "down"); } catch (e) { /* none */ }
  }

  function runService(state, mine) {
    var params = new URLSearchParams();
    params.set("q", state.q);
    if (variant) { params.set("variant", variant); }
    if (state.county) { params.set("county", state.county); }
    if (state.theme) { params.set("theme", state.theme); }
    params.set("page", String(state.page));
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    return fetch(api + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) { throw new Error("not JSON"); }
      return response.json().then(function (data) {
        if (mine !== generation) { return null; }
        if (response.status === 400) {
          showError((data && data.error) || strings.unavailable);
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        render(data, state);
        return null;
      });
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return null; }
      if (mine !== generation) { return null; }
      if (mode === "service") {
        showError(strings.unavailable);
        return null;
      }
      serviceFailed();
      return runStatic(state, mine);
    });
  }

  function run(state) {
    if (input) { input.value = state.q; }
    generation += 1;
    var mine = generation;
    if (!state.q.trim()) {
      box.textContent = "";
      box.removeAttribute("data-total");
      status.textContent = "";
      return;
    }
    box.setAttribute("aria-busy", "true");
    var answered = serviceDown ? runStatic(state, mine) : runService(state, mine);
    answered.then(function () {
      if (mine === generation) { box.removeAttribute("aria-busy"); }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input ? input.value : "";
    go({ q: q, county: "", theme: "", page: 1 });
  });

  window.addEventListener("popstate", function () { run(currentParams()); });

  /* Before a query: where the service is known absent (or not wanted), the static
   * index's tables are fetched while the reader types; in auto mode the service is
   * first asked once (an empty query: a 400 in JSON from a service, a 404 page from a
   * host that serves files only). */
  function prepare() {
    if (serviceDown) {
      loadStatic().catch(function () { /* shown when a query needs it */ });
      return;
    }
    if (mode !== "auto") { return; }
    fetch(api + "?variant=" + encodeURIComponent(variant), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0 || response.status >= 500) {
        throw new Error("no service");
      }
    }).catch(function () {
      serviceFailed();
      loadStatic().catch(function () { /* shown when a query needs it */ });
    });
  }

  var initial = currentParams();
  if (initial.q) { run(initial); } else { prepare(); }
}());
