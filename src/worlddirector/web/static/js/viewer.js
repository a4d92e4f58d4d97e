// The 3D world viewer: world.glb, the point cloud, the agents' replay and the violation markers.
//
// Frames: world.json, points.ply and agent_report.json are in the world frame (Z up, metres);
// world.glb is already converted to glTF's Y up. Everything Z-up hangs under one group rotated by
// -90 deg about X, which maps (x, y, z) -> (x, z, -y), the same conversion the exporter uses.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { PLYLoader } from "three/addons/loaders/PLYLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const AGENT_COLORS = [0x4cc2ff, 0xffd166, 0x3ddc97, 0xc792ea, 0xff9f43, 0x7ee0ff, 0xf78fb3, 0xa3e635];
const EYE = 1.6;

function disposeTree(obj) {
  obj.traverse((o) => {
    if (o.geometry) o.geometry.dispose();
    if (o.material) (Array.isArray(o.material) ? o.material : [o.material]).forEach((m) => m.dispose());
  });
}

export class WorldViewer {
  constructor(canvas, markerLayer, { onMarker } = {}) {
    this.canvas = canvas;
    this.markerLayer = markerLayer;
    this.onMarker = onMarker;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x0d1017);
    this.scene.fog = new THREE.Fog(0x0d1017, 30, 80);
    this.camera = new THREE.PerspectiveCamera(55, 1, 0.05, 500);
    this.camera.position.set(6, 5, 8);
    this.scene.add(new THREE.HemisphereLight(0xdfe8ff, 0x1a1d26, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(5, 10, 4);
    this.scene.add(sun);
    this.grid = new THREE.GridHelper(40, 40, 0x2b3245, 0x1a1f2b);
    this.grid.position.y = -0.002;
    this.scene.add(this.grid);
    this.zup = new THREE.Group();
    this.zup.rotation.x = -Math.PI / 2;
    this.scene.add(this.zup);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener("change", () => this.invalidate());
    this.mode = "orbit";
    this.keys = new Set();
    this.walkLook = { yaw: 0, pitch: 0, drag: null };
    this.glb = null;
    this.points = null;
    this.replayGroup = null;
    this.markerGroup = null;
    this.markers = [];
    this.agents = [];
    this.tick = 0;
    this.ticks = 0;
    this.hz = 30;
    this.playing = false;
    this.showPoints = false;
    this.showMesh = true;
    this.dirty = true;
    this.onTick = null;
    this._bindInput();
    this._resize = new ResizeObserver(() => this.resize());
    this._resize.observe(canvas.parentElement);
    this.resize();
    this._last = performance.now();
    this._loop = this._loop.bind(this);
    requestAnimationFrame(this._loop);
  }

  invalidate() { this.dirty = true; }

  resize() {
    const el = this.canvas.parentElement;
    const w = Math.max(1, el.clientWidth), hgt = Math.max(1, el.clientHeight);
    this.renderer.setSize(w, hgt, false);
    this.camera.aspect = w / hgt;
    this.camera.updateProjectionMatrix();
    this.invalidate();
  }

  clear() {
    for (const key of ["glb", "points", "replayGroup", "markerGroup"]) {
      if (this[key]) {
        this[key].parent.remove(this[key]);
        disposeTree(this[key]);
        this[key] = null;
      }
    }
    this.markers = [];
    this.agents = [];
    this.ticks = 0;
    this.tick = 0;
    this.playing = false;
    this.markerLayer.replaceChildren();
    this.invalidate();
  }

  /** Load one iteration's world. Missing pieces are skipped; returns what was drawn. */
  async load({ glbUrl, plyUrl, report, world }) {
    this.clear();
    const drawn = { mesh: false, points: false, agents: 0, markers: 0 };
    if (glbUrl) {
      try {
        const gltf = await new GLTFLoader().loadAsync(glbUrl);
        this.glb = gltf.scene;
        this.glb.traverse((o) => {
          // colliders duplicate the visual meshes; the embedded cloud duplicates points.ply
          if (o.name.startsWith("collider_") || o.name === "points") o.visible = false;
          if (o.isMesh && o.material) {
            o.material.side = THREE.DoubleSide;
            if (o.name.startsWith("wall")) { o.material.transparent = true; o.material.opacity = 0.55; }
          }
        });
        this.glb.visible = this.showMesh;
        this.scene.add(this.glb);
        drawn.mesh = true;
      } catch (e) {
        console.warn("world.glb could not be loaded", e);
      }
    }
    if (plyUrl) {
      try {
        const geom = await new PLYLoader().loadAsync(plyUrl);
        if (geom.getAttribute("position") && geom.getAttribute("position").count > 0) {
          const mat = new THREE.PointsMaterial({ size: 0.045, vertexColors: !!geom.getAttribute("color"), color: geom.getAttribute("color") ? 0xffffff : 0x9fb4ff });
          this.points = new THREE.Points(geom, mat);
          this.points.visible = this.showPoints;
          this.zup.add(this.points);
          drawn.points = true;
        }
      } catch (e) {
        console.warn("points.ply could not be loaded", e);
      }
    }
    if (report) {
      drawn.agents = this._buildReplay(report);
      drawn.markers = this._buildMarkers(report.violations || []);
    }
    this.fit(world);
    this.setTick(0);
    return drawn;
  }

  _buildReplay(report) {
    const replay = report.replay || {};
    this.hz = replay.hz || 30;
    this.replayGroup = new THREE.Group();
    this.zup.add(this.replayGroup);
    const add = (id, path, color, kind) => {
      if (!Array.isArray(path) || !path.length) return;
      const pts = path.map((p) => new THREE.Vector3(p[0], p[1], p[2]));
      const trail = new THREE.Line(
        new THREE.BufferGeometry().setFromPoints(pts),
        new THREE.LineBasicMaterial({ color, transparent: true, opacity: 0.35 }),
      );
      this.replayGroup.add(trail);
      let body;
      if (kind === "agent") {
        body = new THREE.Mesh(new THREE.CylinderGeometry(0.18, 0.18, 0.9, 16), new THREE.MeshStandardMaterial({ color, emissive: color, emissiveIntensity: 0.25 }));
        body.rotation.x = Math.PI / 2; // cylinder axis along Z (up) in the Z-up group
      } else {
        body = new THREE.Mesh(new THREE.BoxGeometry(0.3, 0.3, 0.3), new THREE.MeshStandardMaterial({ color, wireframe: true }));
      }
      body.name = `${kind}_${id}`;
      this.replayGroup.add(body);
      this.agents.push({ id, kind, path, body, lift: kind === "agent" ? 0.45 : 0 });
      this.ticks = Math.max(this.ticks, path.length);
    };
    Object.entries(replay.agents || {}).forEach(([id, path], i) => add(id, path, AGENT_COLORS[i % AGENT_COLORS.length], "agent"));
    Object.entries(replay.objects || {}).forEach(([id, path]) => add(id, path, 0xe0e0e0, "object"));
    return Object.keys(replay.agents || {}).length;
  }

  _buildMarkers(violations) {
    this.markerGroup = new THREE.Group();
    this.zup.add(this.markerGroup);
    const red = new THREE.MeshStandardMaterial({ color: 0xff3b4f, emissive: 0xff0022, emissiveIntensity: 0.6 });
    violations.forEach((v, i) => {
      const [x, y, z] = v.position || [0, 0, 0];
      const g = new THREE.Group();
      g.position.set(x, y, z);
      const ball = new THREE.Mesh(new THREE.SphereGeometry(0.12 + 0.1 * (v.severity || 0), 16, 12), red);
      g.add(ball);
      const pole = new THREE.Line(
        new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, 0, -Math.max(0, z)), new THREE.Vector3(0, 0, 0.6)]),
        new THREE.LineBasicMaterial({ color: 0xff3b4f }),
      );
      g.add(pole);
      this.markerGroup.add(g);
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "marker";
      btn.dataset.violation = v.id;
      btn.dataset.full = `${i + 1} · ${v.type.replace(/_/g, " ")} · ${Number(v.time || 0).toFixed(1)} s`;
      btn.dataset.short = `${i + 1}`;
      btn.textContent = btn.dataset.full;
      btn.title = v.evidence || v.type;
      btn.setAttribute("aria-label", `Violation ${i + 1}: ${v.type.replace(/_/g, " ")} at ${Number(v.time || 0).toFixed(1)} seconds. ${v.evidence || ""}. Jump the video there.`);
      btn.addEventListener("click", () => this.onMarker && this.onMarker(v));
      this.markerLayer.append(btn);
      this.markers.push({ v, anchor: g, el: btn });
    });
    return violations.length;
  }

  highlight(violationId) {
    for (const m of this.markers) m.el.classList.toggle("active", m.v.id === violationId);
    this.invalidate();
  }

  /** Frame the world: the floor extent from world.json, else the loaded content's bounds. */
  fit(world) {
    const box = new THREE.Box3();
    if (world && world.floor) {
      const [x0, y0] = world.floor.extent_min, [x1, y1] = world.floor.extent_max;
      box.expandByPoint(new THREE.Vector3(x0, 0, -y0));
      box.expandByPoint(new THREE.Vector3(x1, 2, -y1));
    }
    if (box.isEmpty()) {
      for (const o of [this.glb, this.points, this.replayGroup]) if (o && o.visible !== false) box.expandByObject(o);
    }
    if (box.isEmpty()) box.setFromCenterAndSize(new THREE.Vector3(0, 0, 0), new THREE.Vector3(8, 2, 8));
    const c = box.getCenter(new THREE.Vector3());
    const size = box.getSize(new THREE.Vector3());
    const r = Math.max(2, Math.hypot(size.x, size.z) * 0.75);
    this.home = { pos: new THREE.Vector3(c.x + r * 0.8, Math.max(2.5, r * 0.75), c.z + r * 0.9), target: new THREE.Vector3(c.x, 0.3, c.z) };
    // fog, grid and clipping follow the world's size (a single-view guess can span 100+ m)
    this.scene.fog.near = r * 2;
    this.scene.fog.far = r * 6;
    this.camera.far = Math.max(200, r * 10);
    this.camera.updateProjectionMatrix();
    const span = Math.max(10, Math.ceil(Math.max(size.x, size.z) * 1.4));
    this.scene.remove(this.grid);
    this.grid.geometry.dispose();
    this.grid = new THREE.GridHelper(span, Math.min(100, Math.max(10, Math.round(span))), 0x2b3245, 0x1a1f2b);
    this.grid.position.set(Math.round(c.x), -0.06, Math.round(c.z)); // just under the 5 cm floor slab
    this.scene.add(this.grid);
    // markers and agents stay visible in big worlds
    const k = Math.max(1, r / 15);
    if (this.markerGroup) for (const g of this.markerGroup.children) g.scale.setScalar(k);
    for (const a of this.agents) { a.body.scale.setScalar(k); if (a.kind === "agent") a.lift = 0.45 * k; }
    this.resetView();
  }

  resetView() {
    if (!this.home) return;
    this.setMode("orbit");
    this.camera.position.copy(this.home.pos);
    this.controls.target.copy(this.home.target);
    this.controls.update();
    this.invalidate();
  }

  setMode(mode) {
    this.mode = mode;
    this.controls.enabled = mode === "orbit";
    if (mode === "walk") {
      // stand at eye height where the camera is, looking where it looked
      const dir = new THREE.Vector3();
      this.camera.getWorldDirection(dir);
      this.walkLook.yaw = Math.atan2(-dir.x, -dir.z);
      this.walkLook.pitch = 0;
      this.camera.position.y = EYE;
      this._applyLook();
      this.canvas.focus();
    } else {
      const dir = new THREE.Vector3();
      this.camera.getWorldDirection(dir);
      this.controls.target.copy(this.camera.position).addScaledVector(dir, 4);
      this.controls.update();
    }
    this.invalidate();
  }

  _applyLook() {
    this.camera.rotation.set(this.walkLook.pitch, this.walkLook.yaw, 0, "YXZ");
  }

  _bindInput() {
    const c = this.canvas;
    c.addEventListener("keydown", (e) => {
      const k = e.key.toLowerCase();
      if (["w", "a", "s", "d", "q", "e", "arrowup", "arrowdown", "arrowleft", "arrowright"].includes(k)) {
        if (this.mode !== "walk") this.setMode("walk");
        this.keys.add(k);
        e.preventDefault();
      } else if (k === "o") this.setMode("orbit");
      else if (k === " ") { this.togglePlay(); e.preventDefault(); }
    });
    c.addEventListener("keyup", (e) => this.keys.delete(e.key.toLowerCase()));
    c.addEventListener("blur", () => this.keys.clear());
    c.addEventListener("pointerdown", (e) => {
      c.focus();
      if (this.mode === "walk") this.walkLook.drag = { x: e.clientX, y: e.clientY };
    });
    window.addEventListener("pointerup", () => { this.walkLook.drag = null; });
    c.addEventListener("pointermove", (e) => {
      const d = this.walkLook.drag;
      if (this.mode !== "walk" || !d) return;
      this.walkLook.yaw -= (e.clientX - d.x) * 0.005;
      this.walkLook.pitch = Math.max(-1.3, Math.min(1.3, this.walkLook.pitch - (e.clientY - d.y) * 0.005));
      d.x = e.clientX; d.y = e.clientY;
      this._applyLook();
      this.invalidate();
    });
  }

  _walk(dt) {
    if (this.mode !== "walk" || !this.keys.size) return;
    const speed = 2.5 * dt;
    const fwd = new THREE.Vector3(-Math.sin(this.walkLook.yaw), 0, -Math.cos(this.walkLook.yaw));
    const right = new THREE.Vector3(-fwd.z, 0, fwd.x);
    const k = this.keys;
    if (k.has("w") || k.has("arrowup")) this.camera.position.addScaledVector(fwd, speed);
    if (k.has("s") || k.has("arrowdown")) this.camera.position.addScaledVector(fwd, -speed);
    if (k.has("d")) this.camera.position.addScaledVector(right, speed);
    if (k.has("a")) this.camera.position.addScaledVector(right, -speed);
    if (k.has("arrowleft")) { this.walkLook.yaw += 1.8 * dt; this._applyLook(); }
    if (k.has("arrowright")) { this.walkLook.yaw -= 1.8 * dt; this._applyLook(); }
    if (k.has("e")) this.camera.position.y += speed;
    if (k.has("q")) this.camera.position.y = Math.max(0.3, this.camera.position.y - speed);
    this.invalidate();
  }

  setPointsVisible(on) { this.showPoints = on; if (this.points) this.points.visible = on; this.invalidate(); }
  setMeshVisible(on) { this.showMesh = on; if (this.glb) this.glb.visible = on; this.invalidate(); }

  setTick(t) {
    this.tick = Math.max(0, Math.min(Math.max(0, this.ticks - 1), t));
    const i = Math.floor(this.tick);
    for (const a of this.agents) {
      const p = a.path[Math.min(i, a.path.length - 1)];
      if (p) a.body.position.set(p[0], p[1], p[2] + (a.lift && p[2] < a.lift ? a.lift - p[2] : 0));
    }
    this.onTick && this.onTick(i, i / this.hz);
    this.invalidate();
  }

  togglePlay(force) {
    this.playing = force === undefined ? !this.playing : force;
    if (this.playing && this.tick >= this.ticks - 1) this.setTick(0);
    this.onPlayState && this.onPlayState(this.playing);
  }

  /** Put each marker's label over its 3D position; labels that would overlap a more severe one
   * shrink to their number so every marker stays readable and clickable. */
  _placeLabels() {
    const w = this.canvas.clientWidth, hgt = this.canvas.clientHeight;
    const v = new THREE.Vector3();
    const placed = [];
    const order = [...this.markers].sort((a, b) => (b.v.severity || 0) - (a.v.severity || 0));
    for (const m of order) {
      m.anchor.getWorldPosition(v);
      v.project(this.camera);
      const visible = v.z < 1 && v.z > -1 && Math.abs(v.x) < 1.05 && Math.abs(v.y) < 1.05;
      m.el.style.display = visible ? "" : "none";
      if (!visible) continue;
      const x = ((v.x + 1) / 2) * w, y = ((1 - v.y) / 2) * hgt;
      const full = { x0: x - 70, x1: x + 70, y0: y - 26, y1: y };
      const hit = placed.some((r) => !(full.x1 < r.x0 || full.x0 > r.x1 || full.y1 < r.y0 || full.y0 > r.y1));
      const compact = hit && !m.el.classList.contains("active");
      m.el.textContent = compact ? m.el.dataset.short : m.el.dataset.full;
      m.el.classList.toggle("compact", compact);
      if (!compact) placed.push(full);
      m.el.style.left = `${x}px`;
      m.el.style.top = `${y - 8}px`;
    }
  }

  _loop(now) {
    const dt = Math.min(0.1, (now - this._last) / 1000);
    this._last = now;
    this._walk(dt);
    if (this.playing && this.ticks > 1) {
      const next = this.tick + dt * this.hz;
      if (next >= this.ticks - 1) { this.setTick(this.ticks - 1); this.togglePlay(false); }
      else this.setTick(next);
    }
    if (this.dirty) {
      this.dirty = false;
      this.renderer.render(this.scene, this.camera);
      this._placeLabels();
      this.frames = (this.frames || 0) + 1;
    }
    requestAnimationFrame(this._loop);
  }
}
