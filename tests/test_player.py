"""graphnn.views.player: the page it writes holds every frame, needs no network, and plays in a
real browser (Debian's chromium, driven by playwright, as tests/test_site.py does)."""
import re

import pytest

from graphnn.views.player import Frame, Player, page_data, read_page


def picture(text, colour="#ffffff"):
    return ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">\n'
            f'<rect width="120" height="40" fill="{colour}"/>\n<text x="5" y="25">{text}</text>\n</svg>\n')


def frames_of(page):
    """The frames' SVGs, decoded from the page as its script decodes them, and its data."""
    return [frame.svg for frame in read_page(page)], page_data(page)


def test_every_frame_round_trips_and_shared_lines_are_stored_once():
    svgs = [picture(f"step {i}", "#ffffff" if i % 2 else "#ffeeee") for i in range(5)]
    decoded, data = frames_of(Player([(svg, f"caption {i}") for i, svg in enumerate(svgs)]).html())
    assert decoded == [svg[svg.index("<svg"):] for svg in svgs]
    assert data["captions"] == [f"caption {i}" for i in range(5)]
    assert len(data["pieces"]) == len(set(data["pieces"]))  # each distinct piece (a line here) once
    assert len(data["pieces"]) < sum(svg.count("\n") + 1 for svg in svgs) / 2


def test_the_page_is_deterministic_and_escapes_what_would_end_its_script():
    frames = [Frame(picture("a</script><b>"), "1 < 2 & </script>", "<i>extra</i>")]
    page = Player(frames, title="T <1>").html()
    assert page == Player(frames, title="T <1>").html()
    assert page.count("</script>") == 2  # the data's own "</" is written "<\/"
    assert "<title>T &lt;1&gt;</title>" in page
    decoded, data = frames_of(page)
    assert data["captions"] == ["1 < 2 & </script>"] and data["extras"] == ["<i>extra</i>"]


def test_bad_input_is_refused_with_a_message(tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        Player([])
    with pytest.raises(TypeError, match="frame 1 must be a Frame"):
        Player([(picture("a"), "a"), "not a frame"])
    with pytest.raises(ValueError, match="interval"):
        Player([(picture("a"), "a")], interval=0)
    missing = tmp_path / "nowhere" / "player.html"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing.parent))):
        Player([(picture("a"), "a")]).save(missing)


def test_jupyter_shows_the_page_in_an_iframe():
    player = Player([(picture("a"), "a & b")])
    shown = player._repr_html_()
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and shown.endswith("</iframe>")
    assert "a &amp; b" in shown and '"' not in shown[len('<iframe srcdoc="'):shown.index('" style=')]


def test_the_page_plays_in_chromium_from_a_file(tmp_path, browser):
    path = Player([(picture(f"step {i}"), f"caption {i}") for i in range(3)], interval=0.05).save(
        tmp_path / "player.html")
    problems = []
    page = browser.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: not r.url.startswith(("file:", "data:")) and problems.append(r.url))
    page.goto(path.as_uri())

    def state():
        return page.inner_text("#caption"), page.inner_text("#number"), page.text_content("#picture svg text")

    assert state() == ("caption 0", "frame 1 / 3", "step 0")
    page.keyboard.press("ArrowRight")
    assert state() == ("caption 1", "frame 2 / 3", "step 1")
    page.click("#next")
    assert state() == ("caption 2", "frame 3 / 3", "step 2")
    page.click("#next")  # past the end: stays
    assert state()[1] == "frame 3 / 3"
    page.keyboard.press("ArrowLeft")
    assert state()[0] == "caption 1"
    page.fill("#slider", "0")
    assert state()[0] == "caption 0"
    page.click("#play")
    page.wait_for_function("document.body.dataset.frame === '2'", timeout=5000)
    page.close()
    assert not problems


def test_the_pages_decoder_reads_every_kind_of_deflate_block(tmp_path, browser):
    """The page's own DEFLATE decoder (graphnn.views.inflate) gives back what zlib packed:
    stored blocks (level 0, and incompressible bytes), fixed and dynamic Huffman blocks,
    long back references, text beyond ASCII."""
    import base64
    import random
    import zlib

    rng = random.Random(0)
    texts = ["", "a", "a < b & c > d: Σ 2 of 2, ∂J/∂x, 漢字 😀",
             "".join(rng.choice("0123456789abcdef") for _ in range(70000)),  # several blocks
             '<text x="1" y="2">mean 0.5</text>\n' * 5000 + "end"]
    cases = []
    for text in texts:
        for level in (0, 1, 9):
            packer = zlib.compressobj(level, zlib.DEFLATED, -15)
            cases.append((base64.b64encode(packer.compress(text.encode()) + packer.flush()).decode(), text))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    noise = bytes(rng.randrange(256) for _ in range(40000))  # zlib stores it as it is
    cases.append((base64.b64encode(packer.compress(noise) + packer.flush()).decode(), None))
    path = Player([(picture("a"), "a")]).save(tmp_path / "player.html")
    page = browser.new_page()
    page.goto(path.as_uri())
    decoded = page.evaluate("cases => cases.map(c => Array.from(inflate(Uint8Array.from(atob(c), "
                            "ch => ch.charCodeAt(0))), b => b.toString(16).padStart(2, '0')).join(''))",
                            [packed for packed, _ in cases])
    texts_back = page.evaluate("cases => cases.map(unpack)", [packed for packed, text in cases if text is not None])
    page.close()
    assert texts_back == [text for _, text in cases if text is not None]
    assert decoded == [(noise if text is None else text.encode()).hex() for _, text in cases]
