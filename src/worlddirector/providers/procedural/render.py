"""Headless rasteriser: moderngl on an EGL (llvmpipe) context, one draw per frame per batch.

Geometry is transformed on the CPU into world space: everything that never moves (room, obstacles)
is one vertex buffer built once; everything that moves is rebuilt per frame with numpy and drawn in
one call. Lighting is a sun plus sky/ground ambient with distance fog; blob shadows under every
object make floating and contact visible. Colour is written in display space (no gamma step), so an
object's ground-truth colour is what its lit pixels show.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from worlddirector.errors import StageError
from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.kinds import KINDS
from worlddirector.providers.procedural.meshes import Part, rot_x, rot_y, rot_z
from worlddirector.providers.procedural.scene import Scene, SceneObject
from worlddirector.providers.procedural.settings import LIGHTS
from worlddirector.providers.procedural.textures import LAYER, TEX_SIZE, texture_array

VERT = """
#version 330
uniform mat4 u_vp;
in vec3 in_pos; in vec3 in_norm; in vec2 in_uv; in vec3 in_color; in vec2 in_mat;
out vec3 v_world; out vec3 v_norm; out vec2 v_uv; out vec3 v_color; flat out vec2 v_mat;
void main() {
    v_world = in_pos; v_norm = in_norm; v_uv = in_uv; v_color = in_color; v_mat = in_mat;
    gl_Position = u_vp * vec4(in_pos, 1.0);
}
"""

FRAG = """
#version 330
uniform sampler2DArray u_tex;
uniform vec3 u_sun_dir; uniform vec3 u_sun; uniform vec3 u_sky; uniform vec3 u_ground;
uniform vec3 u_fog; uniform float u_fog_density; uniform vec3 u_eye; uniform float u_gain;
in vec3 v_world; in vec3 v_norm; in vec2 v_uv; in vec3 v_color; flat in vec2 v_mat;
out vec4 f_color;
void main() {
    vec3 n = normalize(v_norm);
    vec3 tex = texture(u_tex, vec3(v_uv, v_mat.x)).rgb;
    // large-scale brightness variation (breaks up texture repetition) from cheap arithmetic, not a texture fetch
    vec2 q = v_uv * 0.071;
    float macro = 0.5 + 0.25 * sin(q.x * 6.283 + 1.3 * sin(q.y * 4.1)) * sin(q.y * 5.7 + 0.9 * sin(q.x * 3.3));
    vec3 albedo = v_color * tex * (0.82 + 0.3 * macro);
    float diff = max(dot(n, u_sun_dir), 0.0);
    vec3 amb = mix(u_ground, u_sky, 0.5 + 0.5 * n.z);
    vec3 col = albedo * (amb + diff * u_sun) + v_color * v_mat.y;
    float d = length(v_world - u_eye);
    float fog = 1.0 - exp(-d * u_fog_density);
    col = mix(col, u_fog, clamp(fog, 0.0, 1.0));
    f_color = vec4(clamp(col * u_gain, 0.0, 1.0), 1.0);
}
"""

SHADOW_VERT = """
#version 330
uniform mat4 u_vp;
in vec3 in_pos; in float in_alpha;
out float v_alpha;
void main() { v_alpha = in_alpha; gl_Position = u_vp * vec4(in_pos, 1.0); }
"""

SHADOW_FRAG = """
#version 330
in float v_alpha; out vec4 f_color;
void main() { f_color = vec4(0.0, 0.0, 0.0, v_alpha); }
"""

FLOATS = 13  # pos3 norm3 uv2 color3 mat2


class Batch:
    """Vertex arrays collected from parts, concatenated into one interleaved float32 buffer."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []

    def add(self, pos, nrm, uv, color, layer: float, emit: float, freq: float) -> None:
        n = len(pos)
        a = np.empty((n, FLOATS), np.float32)
        a[:, 0:3] = pos
        a[:, 3:6] = nrm
        a[:, 6:8] = uv * freq
        a[:, 8:11] = color
        a[:, 11] = layer
        a[:, 12] = emit
        self.chunks.append(a)

    def data(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros((0, FLOATS), np.float32)


def _part_color(part: Part, obj_rgb) -> np.ndarray:
    c = obj_rgb if part.color == "body" else part.color
    return np.asarray(c, np.float32) / 255.0


# texture repeats per metre for each layer (objects)
FREQ = {"detail": 0.9, "wood": 0.9, "metal": 0.8, "fabric": 1.2, "skin": 1.0, "leaves": 0.5, "bark": 0.7,
        "rock": 0.45, "concrete": 0.4, "windows": 0.12, "asphalt": 0.6}


def leg_column(part: Part) -> int:
    """Which column of a walker's ``anim["legs"]`` / ``anim["bend"]`` drives a ``leg`` part: 0 for
    the legs of gait phase 0, 1 for those of phase pi (``layout._stance``)."""
    return 0 if part.anim[3] < 1 else 1


def _anim_rot(part: Part, obj: SceneObject, i: int) -> np.ndarray | None:
    if part.anim is None:
        return None
    typ = part.anim[0]
    if typ == "leg" and "legs" in obj.anim:
        return rot_y(obj.anim["legs"][i, leg_column(part)])
    if typ in ("swing", "leg"):
        g = obj.anim.get("gait")
        if g is None:
            return None
        amp = part.anim[2] * (1.25 if obj.motion == "run" else 1.0)
        return rot_y(amp * np.sin(g[i] + part.anim[3]))
    if typ == "flap":
        f = obj.anim.get("flap")
        if f is None or obj.motion != "fly":
            return None
        return rot_x(part.anim[2] * np.sin(f[i] + part.anim[3]))
    if typ == "roll":
        d = obj.anim.get("dist")
        if d is None:
            return None
        return rot_y(d[i] / (part.anim[2] * obj.factor))
    if typ == "rotor":
        sp = obj.anim.get("spin")
        return None if sp is None else rot_z(sp[i])
    if typ == "arm":
        a = obj.anim.get("arm")
        return None if a is None else rot_y(a[i])
    return None


def object_geometry(obj: SceneObject, i: int, batch: Batch) -> None:
    """Add one object's parts at frame ``i`` (world space) to a batch."""
    spec = KINDS[obj.kind]
    f = obj.factor * obj.scale[i]
    yaw = rot_z(obj.yaw[i])
    for part in _parts(obj.kind):
        pos, nrm, uv = part.geometry()
        r = _anim_rot(part, obj, i)
        if r is not None:
            pv = np.asarray(part.anim[1])
            rel = pos - pv
            if part.anim[0] == "leg" and "bend" in obj.anim:  # the swinging leg's knee bend: shorter
                rel = rel * (1.0, 1.0, 1.0 - obj.anim["bend"][i, leg_column(part)])
            pos = rel @ r.T + pv
            nrm = nrm @ r.T
        wpos = (pos * f) @ yaw.T + obj.pos[i]
        wn = nrm @ yaw.T
        batch.add(wpos, wn, uv * obj.factor, _part_color(part, obj.rgb), LAYER[part.layer], part.emit,
                  FREQ.get(part.layer, 0.8))
    del spec


_PARTS: dict[str, list[Part]] = {}


def _parts(kind: str) -> list[Part]:
    if kind not in _PARTS:
        _PARTS[kind] = KINDS[kind].build()
    return _PARTS[kind]


def shadow_geometry(obj: SceneObject, i: int, out: list[np.ndarray], floor_z: float = 0.004) -> None:
    """A soft dark disc on the floor under the object, fainter and wider the higher the object is."""
    size = obj.size * obj.scale[i]
    bottom = obj.pos[i, 2] - size[2] / 2
    lift = max(bottom, 0.0)
    a_c = float(np.clip(0.55 - 0.25 * lift, 0.12, 0.55))
    rx, ry = size[0] * 0.62 + 0.15 * lift, size[1] * 0.62 + 0.15 * lift
    seg = 16
    ang = np.linspace(0, 2 * np.pi, seg + 1)
    c, s = np.cos(obj.yaw[i]), np.sin(obj.yaw[i])
    ex, ey = rx * np.cos(ang), ry * np.sin(ang)
    px = obj.pos[i, 0] + c * ex - s * ey
    py = obj.pos[i, 1] + s * ex + c * ey
    tri = np.zeros((seg * 3, 4), np.float32)
    tri[0::3] = (obj.pos[i, 0], obj.pos[i, 1], floor_z, a_c)
    tri[1::3, 0], tri[1::3, 1] = px[:-1], py[:-1]
    tri[2::3, 0], tri[2::3, 1] = px[1:], py[1:]
    tri[1::3, 2] = tri[2::3, 2] = floor_z
    out.append(tri)


def room_geometry(scene: Scene, batch: Batch) -> None:
    spec = scene.spec
    (ax, ay), (bx, by) = scene.floor_min, scene.floor_max
    white = np.ones(3, np.float32)

    def slab(center, dims, layer, freq, color=white):
        p = Part("box", tuple(center), tuple(dims))
        pos, nrm, uv = p.geometry()
        batch.add(pos, nrm, uv, color, LAYER[layer], 0.0, freq)

    slab(((ax + bx) / 2, (ay + by) / 2, -0.1), (bx - ax, by - ay, 0.2), spec.floor, spec.floor_freq)
    if spec.walls:
        h, th = spec.wall_h, 0.3
        wf = 0.35 if spec.wall != "rock" else 0.3
        slab(((ax + bx) / 2, by + th / 2, h / 2), (bx - ax + 2 * th, th, h), spec.wall, wf)
        slab(((ax + bx) / 2, ay - th / 2, h / 2), (bx - ax + 2 * th, th, h), spec.wall, wf)
        slab((bx + th / 2, (ay + by) / 2, h / 2), (th, by - ay, h), spec.wall, wf)
        slab((ax - th / 2, (ay + by) / 2, h / 2), (th, by - ay, h), spec.wall, wf)
        # skirting boards: a strong floor/wall edge for the reconstruction's floor fit
        dark = np.asarray((60, 55, 50), np.float32) / 255
        slab(((ax + bx) / 2, by - 0.02, 0.06), (bx - ax, 0.04, 0.12), "wood", 1.0, dark)
        slab(((ax + bx) / 2, ay + 0.02, 0.06), (bx - ax, 0.04, 0.12), "wood", 1.0, dark)
        if spec.ceiling:
            slab(((ax + bx) / 2, (ay + by) / 2, h + 0.1), (bx - ax, by - ay, 0.2),
                 "rock" if spec.wall == "rock" else ("metal" if spec.name == "warehouse" else "plaster"), 0.3)
            if spec.name in ("hallway", "room", "warehouse"):
                # ceiling light panels (emissive)
                for x in np.arange(ax + 2.0, bx - 1.0, 4.0):
                    p = Part("box", (float(x), (ay + by) / 2, h - 0.02), (1.2, 0.5, 0.04), (255, 250, 235), "detail", emit=0.9)
                    pos, nrm, uv = p.geometry()
                    batch.add(pos, nrm, uv, _part_color(p, None), LAYER["detail"], 0.9, 1.0)
    else:
        # distant backdrop: a ring of low hills / skyline so the horizon carries texture
        layer = {"street": "windows", "forest": "leaves", "field": "leaves", "desert": "sand"}.get(spec.name, "rock")
        rng = np.random.default_rng(1234)
        R = 70.0
        for k in range(24):
            a = 2 * np.pi * k / 24
            hgt = float(rng.uniform(6, 14)) if spec.name != "desert" else float(rng.uniform(3, 8))
            w = 2 * R * np.tan(np.pi / 24) + 1.0
            p = Part("box", (R * np.cos(a), R * np.sin(a), hgt / 2), (2.0, w, hgt), rot=(0, 0, float(np.degrees(a))))
            pos, nrm, uv = p.geometry()
            tint = np.asarray({"street": (200, 200, 205), "desert": (230, 200, 150)}.get(spec.name, (150, 175, 140)), np.float32) / 255
            batch.add(pos, nrm, uv, tint, LAYER[layer], 0.0, 0.15)


class _GL:
    """One EGL context per thread, with the shaders and the texture array (built once, reused by every
    clip that thread renders; a context must only be used from the thread that made it current)."""

    def __init__(self) -> None:
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
        import moderngl

        try:
            self.ctx = moderngl.create_context(standalone=True, backend="egl")
        except Exception as exc:  # no EGL / GL driver: a clear error, never a fake frame
            raise StageError(f"cannot create an EGL OpenGL context for rendering: {exc}") from None
        ctx = self.ctx
        self.prog = ctx.program(vertex_shader=VERT, fragment_shader=FRAG)
        self.sprog = ctx.program(vertex_shader=SHADOW_VERT, fragment_shader=SHADOW_FRAG)
        tex = texture_array()
        self.tex = ctx.texture_array((TEX_SIZE, TEX_SIZE, tex.shape[0]), 3, tex.tobytes())
        self.tex.build_mipmaps()
        self.tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        self.tex.repeat_x = self.tex.repeat_y = True
        self.fbos: dict[tuple[int, int], object] = {}


_LOCAL = threading.local()


def _thread_gl() -> _GL:
    gl = getattr(_LOCAL, "gl", None)
    if gl is None:
        gl = _LOCAL.gl = _GL()
    return gl


class Renderer:
    """Renders a :class:`Scene` frame by frame into RGB uint8 arrays (top row first)."""

    def __init__(self, scene: Scene) -> None:
        gl = _thread_gl()
        self.ctx = ctx = gl.ctx
        self.scene = scene
        w, h = scene.width, scene.height
        if (w, h) not in gl.fbos:
            gl.fbos[(w, h)] = ctx.framebuffer(color_attachments=[ctx.renderbuffer((w, h), 4)],
                                              depth_attachment=ctx.depth_renderbuffer((w, h)))
        self.fbo = gl.fbos[(w, h)]
        self.prog, self.sprog, self.tex = gl.prog, gl.sprog, gl.tex
        self.tex.use(0)
        self._owned: list = []
        self._u("u_tex", 0)
        lt = LIGHTS[scene.light]
        d = np.asarray(lt.sun_dir, float)
        self._u("u_sun_dir", tuple(d / np.linalg.norm(d)))
        self._u("u_sun", lt.sun)
        self._u("u_sky", lt.sky)
        self._u("u_ground", lt.ground)
        sky = np.clip(np.asarray(scene.spec.sky, float) / 255 * np.asarray(lt.sky_tint), 0, 1)
        self.clear = tuple(float(c) for c in sky)
        self._u("u_fog", self.clear)
        self._u("u_fog_density", lt.fog_density if not scene.walls else lt.fog_density * 0.5)
        self.proj = cam.gl_projection(scene.intr)

        # static batch: room + every object that never changes
        self.dynamic = [o for o in scene.objects if not _is_static(o)]
        statics = [o for o in scene.objects if _is_static(o)]
        sb = Batch()
        # objects before the room: early depth testing then skips shading floor and wall pixels behind them
        for o in statics:
            object_geometry(o, 0, sb)
        room_geometry(scene, sb)
        self.static_vao, self.static_vbo = self._vao(sb.data())
        sh: list[np.ndarray] = []
        for o in statics:
            shadow_geometry(o, 0, sh)
        self.static_shadow = self._svao(np.concatenate(sh) if sh else np.zeros((0, 4), np.float32))
        self.dyn_vbo = None
        self.dyn_vao = None
        self.dyn_cap = 0
        self.sh_vbo = None
        self.sh_vao = None
        self.sh_cap = 0

    def _u(self, name: str, value) -> None:
        """Set a uniform if the compiled shader kept it (the GLSL compiler drops unused ones)."""
        if name in self.prog:
            self.prog[name].value = value

    def _vao(self, data: np.ndarray):
        if len(data) == 0:
            return None, None
        vbo = self.ctx.buffer(data.tobytes())
        vao = self.ctx.vertex_array(self.prog, [(vbo, "3f 3f 2f 3f 2f", "in_pos", "in_norm", "in_uv", "in_color", "in_mat")])
        self._owned += [vao, vbo]
        return vao, vbo

    def _svao(self, data: np.ndarray):
        if len(data) == 0:
            return None
        vbo = self.ctx.buffer(data.tobytes())
        vao = self.ctx.vertex_array(self.sprog, [(vbo, "3f 1f", "in_pos", "in_alpha")])
        self._owned += [vao, vbo]
        return vao

    def _dynamic(self, i: int):
        b = Batch()
        sh: list[np.ndarray] = []
        for o in self.dynamic:
            if o.visible[i]:
                object_geometry(o, i, b)
                shadow_geometry(o, i, sh)
        data = b.data()
        sdata = np.concatenate(sh) if sh else np.zeros((0, 4), np.float32)
        if len(data):
            if data.nbytes > self.dyn_cap:
                self.dyn_cap = data.nbytes * 2
                self.dyn_vbo = self.ctx.buffer(reserve=self.dyn_cap)
                self.dyn_vao = self.ctx.vertex_array(
                    self.prog, [(self.dyn_vbo, "3f 3f 2f 3f 2f", "in_pos", "in_norm", "in_uv", "in_color", "in_mat")])
                self._owned += [self.dyn_vao, self.dyn_vbo]
            self.dyn_vbo.write(data.tobytes())
        if len(sdata):
            if sdata.nbytes > self.sh_cap:
                self.sh_cap = sdata.nbytes * 2
                self.sh_vbo = self.ctx.buffer(reserve=self.sh_cap)
                self.sh_vao = self.ctx.vertex_array(self.sprog, [(self.sh_vbo, "3f 1f", "in_pos", "in_alpha")])
                self._owned += [self.sh_vao, self.sh_vbo]
            self.sh_vbo.write(sdata.tobytes())
        return len(data), len(sdata)

    def render(self, i: int) -> np.ndarray:
        import moderngl

        scene = self.scene
        ctx = self.ctx
        vp = (self.proj @ cam.gl_view(scene.cams[i])).astype("f4")
        mvp = vp.T.tobytes()  # column-major for GLSL
        if "u_vp" in self.prog:
            self.prog["u_vp"].write(mvp)
        self.sprog["u_vp"].write(mvp)
        self._u("u_eye", tuple(float(v) for v in cam.centre_of(scene.cams[i])))
        self._u("u_gain", float(scene.gain[i]))
        n_dyn, n_sh = self._dynamic(i)
        self.fbo.use()
        g = float(scene.gain[i])
        ctx.clear(*(min(1.0, c * g) for c in self.clear), 1.0)
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        if n_dyn:
            self.dyn_vao.render(vertices=n_dyn)
        if self.static_vao is not None:
            self.static_vao.render()
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        ctx.depth_mask = False
        if self.static_shadow is not None:
            self.static_shadow.render()
        if n_sh:
            self.sh_vao.render(vertices=n_sh)
        ctx.depth_mask = True
        ctx.disable(moderngl.BLEND)
        raw = self.fbo.read(components=3, alignment=1)
        img = np.frombuffer(raw, np.uint8).reshape(scene.height, scene.width, 3)
        return img[::-1]

    def release(self) -> None:
        """Free this clip's buffers; the thread's context, shaders and textures stay for the next clip."""
        for obj in self._owned:
            try:
                obj.release()
            except Exception:
                pass
        self._owned = []


def _is_static(o: SceneObject) -> bool:
    """Drawn once into the static batch: nothing about it changes over the clip."""
    return (o.static and o.visible.all() and np.ptp(o.pos, axis=0).max() == 0 and np.ptp(o.yaw) == 0
            and np.ptp(o.scale) == 0 and not o.anim)
