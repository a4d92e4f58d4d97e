"""The offline planner's vocabulary: places, threats, moves and looks.

Kept as data so it is easy to read and extend. Every place names concrete, coloured things on a
ground surface because both real video models and the procedural generator render concrete nouns
better than abstractions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    name: str  # "a neon-lit city street at night"
    key: str  # short word unique to this locale, used to recognise it in text
    ground: str
    light: str
    props: tuple[str, ...]
    portal_color: str


LOCALES: tuple[Locale, ...] = (
    Locale("a neon-lit city street at night", "neon", "wet black asphalt", "pink and cyan neon glow",
           ("a red sports car", "a yellow taxi", "a blue neon sign"), "magenta"),
    Locale("a gothic battlefield under storm clouds", "gothic", "churned brown mud", "flickering lightning",
           ("a grey stone watchtower", "a broken wooden cart", "a tattered red banner"), "crimson"),
    Locale("a clockwork fantasy city", "clockwork", "brass cobblestones", "warm golden afternoon light",
           ("a giant golden gear", "a green copper clock tower", "a steam-powered tram"), "golden"),
    Locale("a sunlit desert canyon", "canyon", "orange sand", "harsh midday sun",
           ("a sandstone arch", "a rusted blue truck", "a tall cactus"), "amber"),
    Locale("a frozen mountain pass", "frozen", "deep white snow", "pale blue dawn light",
           ("a cracked ice boulder", "a wooden sled", "a frozen waterfall"), "icy blue"),
    Locale("an overgrown jungle temple", "jungle", "mossy green flagstones", "green filtered sunlight",
           ("a stone idol", "a fallen log", "hanging vines"), "emerald"),
    Locale("a flooded subway station", "subway", "ankle-deep dark water", "buzzing fluorescent light",
           ("an abandoned white train car", "a yellow turnstile", "a flickering station sign"), "teal"),
    Locale("a floating sky harbour above the clouds", "harbour", "weathered wooden docks", "bright open sky",
           ("a white airship", "stacked orange cargo crates", "a spinning wind vane"), "sky blue"),
    Locale("a crystal cave", "crystal", "smooth violet rock", "glowing violet crystals",
           ("a huge purple crystal", "an underground pool", "a rope bridge"), "violet"),
    Locale("an abandoned space station corridor", "station", "scuffed metal deck plates", "cold white emergency light",
           ("a drifting silver toolbox", "a red warning light", "a sealed airlock door"), "silver"),
    Locale("a moonlit pine forest", "forest", "pine needles and roots", "silver moonlight",
           ("a hollow oak tree", "a glowing lantern", "a wooden footbridge"), "pale green"),
    Locale("a volcanic forge", "volcanic", "cracked black basalt", "orange lava glow",
           ("a river of lava", "a giant iron anvil", "a black obsidian pillar"), "orange"),
)

HUB = Locale("the Nexus Gate, a circular stone plaza ringed by glowing portals", "nexus", "pale stone tiles",
             "swirling portal light", ("three glowing portals", "a cracked stone pedestal", "floating rune stones"),
             "white")

THREATS: tuple[tuple[str, str], ...] = (
    # (noun phrase, short noun for buttons)
    ("a swarm of hunter drones", "drones"),
    ("a hulking stone golem", "golem"),
    ("a rival courier on a black hoverbike", "rival"),
    ("a pack of shadow wolves", "wolves"),
    ("a clockwork sentinel with spinning blades", "sentinel"),
    ("an armoured knight with a glowing sword", "knight"),
    ("a towering sand serpent", "serpent"),
    ("a masked thief in a grey cloak", "thief"),
    ("a rogue security robot", "robot"),
    ("a crackling storm elemental", "elemental"),
)

HAZARDS: tuple[str, ...] = (
    "the ground cracks open", "a bridge begins to collapse", "a wall of water surges in", "sparks rain down",
    "the lights cut out", "a rockslide thunders down", "gears grind and shift underfoot", "wind howls through",
)

LOOKS: tuple[str, ...] = (
    "orange jacket and silver backpack", "long red scarf and leather satchel", "blue hooded coat and brass goggles",
    "green flight suit and white helmet", "yellow raincoat and black boots", "grey duster coat and a glowing gauntlet",
)

TOOLS: tuple[str, ...] = (
    "a grappling hook", "a glowing compass", "a smoke bomb", "a brass key", "a map fragment", "a signal flare",
    "an energy shield", "a rope",
)

CAMERAS: tuple[str, ...] = (
    "tracking shot following the {p} from behind", "low-angle dolly in", "smooth side-on tracking shot",
    "handheld chase camera", "slow orbit around the {p}", "wide establishing shot pushing in",
)

# moves per choice category: (label template, short template); {p} protagonist, {t} threat, {ts} threat short,
# {prop} a prop of the current locale, {item} the goal item (singular), {dest} a destination locale name,
# {color} a portal colour
MOVES: dict[str, tuple[tuple[str, str], ...]] = {
    "confront": (
        ("the {p} turns and fights {t} head-on", "Fight the {ts}"),
        ("the {p} lures {t} into a trap beside {prop}", "Trap the {ts}"),
        ("the {p} charges {t} to grab the {item} it guards", "Charge the {ts}"),
    ),
    "evade": (
        ("the {p} sprints away and hides behind {prop}", "Hide and wait"),
        ("the {p} leaps across a gap to shake off {t}", "Leap the gap"),
        ("the {p} throws a smoke bomb and slips past {t}", "Slip past unseen"),
    ),
    "explore": (
        ("the {p} searches the ground around {prop} for the next {item}", "Search near {prop_short}"),
        ("the {p} follows a trail of glowing marks deeper into the area", "Follow the glow"),
        ("the {p} climbs to high ground beside {prop} to scout the area", "Climb and scout"),
    ),
    "travel": (
        ("the {p} dives through a {color} portal into {dest}", "Enter the {color} portal"),
        ("the {p} rides a collapsing rift into {dest}", "Ride the rift"),
    ),
}

VERB_CATEGORY: dict[str, tuple[str, ...]] = {
    "confront": ("fight", "charge", "lure", "trap", "attack", "duel", "strike", "confront", "battle"),
    "evade": ("hide", "sprint", "leap", "slip", "flee", "escape", "run", "dodge", "evade"),
    "explore": ("search", "follow", "climb", "scout", "explore", "examine", "investigate", "open"),
    "travel": ("portal", "rift", "dives through", "travel"),
}
