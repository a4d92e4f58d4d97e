// Hash router between the two views: #/director[/<run-id>] and #/world[/<world-id>][?path=0/2].
import { $ } from "./api.js";
import { initDirector, showDirector } from "./director.js";
import { initWorld, showWorld, hideWorld } from "./world.js";

const inited = { director: false, world: false };

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [pathPart, query = ""] = raw.split("?");
  const parts = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  return { view: parts[0] || "director", id: parts[1] || null, params };
}

async function route() {
  const { view, id, params } = parseHash();
  const which = view === "world" ? "world" : "director";
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === which);
    if (a.dataset.nav === which) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  $("#view-director").hidden = which !== "director";
  $("#view-world").hidden = which !== "world";
  if (which === "director") {
    hideWorld();
    if (!inited.director) { inited.director = true; await initDirector(); }
    document.title = "World Director · Director";
    await showDirector(id);
  } else {
    if (!inited.world) { inited.world = true; initWorld(); }
    document.title = "World Director · Shared world";
    await showWorld(id, params.get("path") || "");
  }
  document.body.dataset.ready = which;
}

window.addEventListener("hashchange", route);
route();
