"""Step-through slides: a TOML file of views, each a page and its link parameters.

    title = "Attention masks, step by step"
    [[slide]]
    title = "Causal: no peeking at the future"
    caption = "Each query sees itself and the tokens before it."  # optional: shown under the title
    page = "masks"
    params = { scheme = "causal" }

A bad file is refused with the line and the problem. Only files shipped in app/lecture/slides/ can be
opened from a link (by name), so a URL never names a path on the server.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.pages import BY_NAME, HOME
from app.text import parse_int

SHIPPED = Path(__file__).parent / "slides"
MAX_SLIDES = 200  # each slide runs its page (about a second): a deck stays a lecture, not an hour
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Slide:
    title: str
    page: str  # a page's name (app/pages.py)
    params: dict[str, str]  # link parameters, as they appear in the URL
    caption: str = ""

    def target(self):
        """The slide's page, for st.page_link."""
        return BY_NAME[self.page].target()

    @property
    def url_path(self) -> str:
        """Where the page is, relative to the app: Home, the default page, is the app's root
        (Streamlit has no /home: a link there opens a "Page not found" dialog first)."""
        return "./" if self.page == HOME else self.page


@dataclass(frozen=True)
class Deck:
    title: str
    slides: list[Slide]

    def query(self, name: str, k: int) -> dict[str, str]:
        """The link parameters of slide k of this deck (shipped as `name`): its view and its place."""
        return {**self.slides[k].params, "slides": name, "step": str(k + 1)}


# Every page's run reads the shipped decks (the sidebar's list, the slide bar): read once per version of
# the files (a deck added or edited while the server runs is seen on the next run), not parsed per run.
def shipped() -> list[str]:
    return list(_shipped(SHIPPED.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _shipped(folder_version: int) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in SHIPPED.glob("*.toml")))


def load(path: Path | str) -> Deck:
    """Read and check a slides file; ValueError names the line and the problem."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"{path}: a slides file has at most {MAX_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read it ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None
    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith("[[slide]]")]
    raw = data.get("slide")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: no [[slide]] tables; each slide needs a title, a page and params")
    if len(raw) > MAX_SLIDES:
        raise ValueError(f"{path}: {len(raw)} slides; a deck has at most {MAX_SLIDES} slides")
    slides = []
    for k, entry in enumerate(raw):
        where = f"{path}, line {headers[k] if k < len(headers) else '?'} (slide {k + 1})"
        title, page, params = entry.get("title"), entry.get("page"), entry.get("params", {})
        caption = entry.get("caption", "")
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"{where}: title must be a non-empty string")
        if not isinstance(caption, str):
            raise ValueError(f"{where}: caption must be a string")
        if page not in BY_NAME:
            raise ValueError(f"{where}: page must be one of {', '.join(BY_NAME)} (got {page!r})")
        if not isinstance(params, dict) or not all(isinstance(v, (str, int, bool)) for v in params.values()):
            raise ValueError(f"{where}: params must be a table of strings, integers or booleans")
        slides.append(
            Slide(
                title,
                page,
                {key: str(v).lower() if isinstance(v, bool) else str(v) for key, v in params.items()},
                caption.strip(),
            )
        )
    title = data.get("title", path.stem)
    if not isinstance(title, str):
        raise ValueError(f"{path}, line 1: title must be a string")
    return Deck(title, slides)


def shipped_deck(name: str) -> Deck:
    if name not in shipped():
        raise ValueError(f"unknown slides {name!r}; shipped: {', '.join(shipped())}")
    path = SHIPPED / f"{name}.toml"
    return _loaded(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _loaded(path: Path, version: int) -> Deck:
    return load(path)


@dataclass(frozen=True)
class Step:
    """Slide k of a shipped deck, as a link names it."""

    name: str  # the deck's name in app/lecture/slides/
    deck: Deck
    k: int

    @property
    def slide(self) -> Slide:
        return self.deck.slides[self.k]

    def query(self) -> dict[str, str]:
        return self.deck.query(self.name, self.k)


def linked_step(query: dict[str, str]) -> Step | None:
    """The shipped deck and slide a link names (?slides=NAME&step=K), or None if it names none."""
    name, step = query.get("slides"), parse_int(query.get("step", "1"))
    if name not in shipped() or step is None:
        return None
    deck = shipped_deck(name)
    return Step(name, deck, step - 1) if 1 <= step <= len(deck.slides) else None
