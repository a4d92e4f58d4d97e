"""The words the procedural generator understands, in one place.

Every table maps a surface word (already lower-cased, plural or inflected forms included) to a
canonical value. The parser (:mod:`.parse`) walks the prompt with these tables; a content word
found in none of them is reported in ``generation.json`` ``unparsed``. Keeping the vocabulary as
data makes it easy to see (and document) what the renderer can draw.
"""

from __future__ import annotations

SETTINGS: dict[str, str] = {
    "hallway": "hallway", "hallways": "hallway", "corridor": "hallway", "corridors": "hallway",
    "hall": "hallway", "passage": "hallway", "passageway": "hallway",
    "room": "room", "rooms": "room", "kitchen": "room", "office": "room", "bedroom": "room",
    "studio": "room", "lobby": "room", "interior": "room", "indoors": "room", "indoor": "room",
    "street": "street", "streets": "street", "city": "street", "road": "street", "town": "street",
    "avenue": "street", "alley": "street", "downtown": "street", "intersection": "street",
    "forest": "forest", "woods": "forest", "woodland": "forest", "park": "forest", "jungle": "forest",
    "garden": "forest",
    "field": "field", "fields": "field", "plain": "field", "plains": "field", "meadow": "field",
    "grassland": "field", "lawn": "field", "pasture": "field", "farm": "field",
    "desert": "desert", "dunes": "desert", "dune": "desert", "sand": "desert", "sands": "desert",
    "canyon": "desert",
    "warehouse": "warehouse", "factory": "warehouse", "depot": "warehouse", "hangar": "warehouse",
    "garage": "warehouse", "storehouse": "warehouse",
    "cave": "cave", "caves": "cave", "tunnel": "cave", "tunnels": "cave", "cavern": "cave",
    "mine": "cave", "underground": "cave", "grotto": "cave",
}
SETTING_NAMES = ("hallway", "room", "street", "forest", "field", "desert", "warehouse", "cave")

# kind word -> canonical kind (see kinds.py for the meshes)
KINDS: dict[str, str] = {
    "robot": "robot", "robots": "robot", "android": "robot", "androids": "robot", "droid": "robot",
    "person": "person", "people": "person", "man": "person", "men": "person", "woman": "person",
    "women": "person", "child": "person", "children": "person", "kid": "person", "kids": "person",
    "boy": "person", "girl": "person", "pedestrian": "person", "pedestrians": "person",
    "figure": "person", "figures": "person", "worker": "person", "workers": "person",
    "soldier": "person", "soldiers": "person", "knight": "person", "knights": "person",
    "explorer": "person", "hiker": "person", "runner": "person", "runners": "person",
    "car": "car", "cars": "car", "sedan": "car", "taxi": "car", "taxis": "car", "vehicle": "car",
    "vehicles": "car",
    "truck": "truck", "trucks": "truck", "van": "truck", "vans": "truck", "bus": "truck", "lorry": "truck",
    "tree": "tree", "trees": "tree", "pine": "tree", "pines": "tree", "oak": "tree", "oaks": "tree",
    "bush": "bush", "bushes": "bush", "shrub": "bush", "shrubs": "bush", "plant": "bush", "plants": "bush",
    "crate": "crate", "crates": "crate", "box": "crate", "boxes": "crate", "cube": "crate",
    "cubes": "crate", "block": "crate", "blocks": "crate", "container": "crate", "containers": "crate",
    "table": "table", "tables": "table", "desk": "table", "desks": "table",
    "chair": "chair", "chairs": "chair", "stool": "chair", "stools": "chair",
    "lamp": "lamp", "lamps": "lamp", "streetlight": "lamp", "streetlights": "lamp", "lamppost": "lamp",
    "lampposts": "lamp", "light post": "lamp", "torch": "lamp", "torches": "lamp",
    "pillar": "pillar", "pillars": "pillar", "column": "pillar", "columns": "pillar", "post": "pillar",
    "posts": "pillar", "pole": "pillar", "poles": "pillar",
    "ball": "ball", "balls": "ball", "sphere": "ball", "spheres": "ball", "orb": "ball", "orbs": "ball",
    "football": "ball", "basketball": "ball",
    "rock": "rock", "rocks": "rock", "stone": "rock", "stones": "rock", "boulder": "rock",
    "boulders": "rock", "pebble": "rock",
    "barrel": "barrel", "barrels": "barrel", "drum": "barrel", "drums": "barrel", "keg": "barrel",
    "fence": "fence", "fences": "fence", "railing": "fence", "barrier": "fence", "barriers": "fence",
    "building": "building", "buildings": "building", "house": "building", "houses": "building",
    "tower": "building", "towers": "building", "skyscraper": "building", "skyscrapers": "building",
    "shop": "building", "shops": "building",
    "catapult": "catapult", "catapults": "catapult", "trebuchet": "catapult", "trebuchets": "catapult",
    "bench": "bench", "benches": "bench",
    "cone": "cone", "cones": "cone", "pylon": "cone",
    "dog": "dog", "dogs": "dog", "puppy": "dog", "cat": "dog", "cats": "dog", "fox": "dog",
    "wolf": "dog", "animal": "dog", "animals": "dog",
    "drone": "drone", "drones": "drone", "quadcopter": "drone", "ufo": "drone",
    "bird": "bird", "birds": "bird", "pigeon": "bird", "pigeons": "bird", "eagle": "bird", "crow": "bird",
    "statue": "statue", "statues": "statue", "sculpture": "statue", "monument": "statue",
    "shelf": "shelf", "shelves": "shelf", "shelving": "shelf", "rack": "shelf", "racks": "shelf",
    "bookshelf": "shelf", "cabinet": "shelf",
    "sign": "sign", "signs": "sign", "signpost": "sign", "billboard": "sign",
}

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 35), "crimson": (170, 20, 40), "green": (45, 160, 60), "blue": (40, 80, 210),
    "yellow": (230, 200, 40), "orange": (235, 120, 30), "purple": (130, 50, 170), "violet": (140, 70, 200),
    "pink": (235, 120, 170), "white": (235, 235, 230), "black": (30, 30, 32), "gray": (128, 128, 128),
    "grey": (128, 128, 128), "silver": (185, 190, 195), "gold": (212, 170, 55), "golden": (212, 170, 55),
    "brown": (120, 75, 40), "tan": (200, 170, 120), "cyan": (40, 200, 210), "teal": (30, 140, 140),
    "magenta": (210, 40, 180), "beige": (220, 205, 170),
}
COLOR_ALIASES = {"grey": "gray", "golden": "gold", "violet": "purple", "crimson": "red"}

SIZES: dict[str, float] = {
    "tiny": 0.45, "little": 0.7, "small": 0.7, "mini": 0.6, "short": 0.8,
    "big": 1.4, "large": 1.4, "huge": 1.9, "giant": 2.2, "enormous": 2.2, "massive": 1.9, "tall": 1.4,
}

# room modifiers: apply to the setting ("a wide hallway", "a long tunnel")
ROOM_SIZES: dict[str, tuple[float, float]] = {
    "wide": (1.0, 1.6), "narrow": (1.0, 0.75), "long": (1.3, 1.0), "spacious": (1.25, 1.25),
    "cramped": (0.85, 0.85), "vast": (1.3, 1.3),
}

NUMBERS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "single": 1, "lone": 1, "two": 2, "pair": 2, "couple": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3,
    "few": 3, "some": 2, "many": 6, "multiple": 3, "dozen": 12,
}

LIGHTS: dict[str, str] = {
    "well-lit": "bright", "bright": "bright", "brightly": "bright", "sunny": "bright", "daylight": "bright",
    "day": "bright", "daytime": "bright", "lit": "bright", "noon": "bright", "midday": "bright",
    "dim": "dim", "dimly": "dim", "dark": "dim", "gloomy": "dim", "night": "dim", "nighttime": "dim",
    "shadowy": "dim", "moonlit": "dim", "evening": "dim", "dusk": "sunset",
    "neon": "neon", "cyberpunk": "neon", "glowing": "neon",
    "sunset": "sunset", "sunrise": "sunset", "dawn": "sunset", "golden-hour": "sunset", "twilight": "sunset",
    "overcast": "overcast", "cloudy": "overcast", "foggy": "overcast", "misty": "overcast",
}
LIGHT_NAMES = ("bright", "dim", "neon", "sunset", "overcast")

MOTIONS: dict[str, str] = {
    "walk": "walk", "walks": "walk", "walking": "walk", "walked": "walk", "stroll": "walk", "strolls": "walk",
    "strolling": "walk", "wander": "walk", "wanders": "walk", "wandering": "walk", "patrol": "walk",
    "patrols": "walk", "patrolling": "walk", "march": "walk", "marches": "walk", "marching": "walk",
    "step": "walk", "steps": "walk", "moves": "walk", "moving": "walk", "move": "walk", "paces": "walk",
    "run": "run", "runs": "run", "running": "run", "sprint": "run", "sprints": "run", "sprinting": "run",
    "jog": "run", "jogs": "run", "jogging": "run", "race": "run", "races": "run", "racing": "run",
    "chase": "run", "chases": "run", "chasing": "run", "dash": "run", "dashes": "run",
    "roll": "roll", "rolls": "roll", "rolling": "roll", "rolled": "roll", "slide": "roll", "slides": "roll",
    "sliding": "roll", "tumble": "roll", "tumbles": "roll",
    "fly": "fly", "flies": "fly", "flying": "fly", "hover": "fly", "hovers": "fly", "hovering": "fly",
    "soar": "fly", "soars": "fly", "soaring": "fly", "glide": "fly", "glides": "fly", "circling": "fly",
    "drive": "drive", "drives": "drive", "driving": "drive", "drove": "drive", "speeds": "drive",
    "speeding": "drive", "cruise": "drive", "cruises": "drive", "cruising": "drive",
    "fall": "fall", "falls": "fall", "falling": "fall", "fell": "fall", "drop": "fall", "drops": "fall",
    "dropping": "fall", "topples": "fall", "plunges": "fall",
    "bounce": "bounce", "bounces": "bounce", "bouncing": "bounce", "bounced": "bounce", "jump": "bounce",
    "jumps": "bounce", "jumping": "bounce", "hop": "bounce", "hops": "bounce", "hopping": "bounce",
    "launch": "launch", "launches": "launch", "launching": "launch", "launched": "launch",
    "fire": "launch", "fires": "launch", "firing": "launch", "hurl": "launch", "hurls": "launch",
    "hurling": "launch", "throw": "launch", "throws": "launch", "throwing": "launch", "fling": "launch",
    "flings": "launch", "catapults": "launch", "shoot": "launch", "shoots": "launch",
}
MOTION_NAMES = ("walk", "run", "roll", "fly", "drive", "fall", "bounce", "launch")

# camera: single words and the phrases that contain them
CAMERA: dict[str, str] = {
    "static": "static", "still": "static", "stationary": "static", "fixed": "static", "locked": "static",
    "tripod": "static", "locked-off": "static",
    "dolly": "dolly", "dollies": "dolly", "push": "dolly", "pushes": "dolly", "push-in": "dolly",
    "advances": "dolly", "approaches": "dolly", "forward": "dolly", "zoom": "dolly", "zooms": "dolly",
    "orbit": "orbit", "orbits": "orbit", "orbiting": "orbit", "circles": "orbit", "rotates": "orbit",
    "revolves": "orbit", "around": "orbit", "360": "orbit", "arc": "orbit", "arcs": "orbit",
    "pan": "pan", "pans": "pan", "panning": "pan", "sweeps": "pan", "panorama": "pan", "panoramic": "pan",
    "tracking": "tracking", "tracks": "tracking", "track": "tracking", "follows": "tracking",
    "following": "tracking", "follow": "tracking", "trailing": "tracking",
    "handheld": "handheld", "shaky": "handheld", "hand-held": "handheld",
}
CAMERA_NAMES = ("static", "dolly", "orbit", "pan", "tracking", "handheld")
# "around"/"forward" only mean a camera move when "camera"/"shot" appears in the prompt
CAMERA_WEAK = {"around", "forward", "follow", "follows", "following", "tracks", "track", "push",
               "pushes", "still", "fixed", "locked", "zoom", "zooms", "arc", "arcs", "approaches",
               "advances", "sweeps", "circles", "rotates", "revolves"}

# words that carry no scene content of their own (never reported as unparsed)
STOPWORDS = set(
    """the a an of in on at to into onto through across along down up over under around near by with
    and or but while as is are was were be being been it its their there this that these those his her
    from toward towards between behind beside besides inside outside past then than very slowly quickly
    fast slow gently steadily smoothly each other another which who whose where when for about against
    camera shot view scene video clip footage frame angle background foreground side sides end ends
    floor ground wall walls ceiling middle center centre left right corner its itself them they he she
    we our your you my i me away back forth off out together again also just so only all both every
    one's toward while meanwhile nearby far above below beneath underneath upon within without onto
    has have having visible seen shows showing appear appears objects object things thing everything items
    scene's""".split()
)
