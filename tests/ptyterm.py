"""ptyterm.py - a stand-in terminal for the TUI's graphics tests and byte
benchmarks: runs a program on a pseudo-terminal of a given size in cells and
pixels, answers the queries pulmo sends at start (DA1, XTSMGRAPHICS, cell
size, XTVERSION, the kitty graphics query) as the terminal being played
would, types keys, and records every byte the program writes.

It also decodes what it records: sixel images (DCS ... q ... ST) into
pixels, kitty graphics commands (APC G ... ST) and iTerm2 inline images
(OSC 1337 ; File= ... BEL) into their PNG payloads, so tests compare what
reached the terminal with the PNG of the same view.

No timing is asserted: waits end when the program has been silent for a
while (output done) or at a generous bound.
"""
import base64
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import numpy as np

# Under valgrind (make valgrind) the program runs tens of times slower and
# falls silent for seconds while it works: silences that end a wait scale.
SLOW = float(os.environ.get("PULMO_TEST_SLOW", "1"))
ESC = b"\x1b"


class Term:
    """profile: 'xterm' (sixel, DA1 with 4, XTSMGRAPHICS max), 'xterm-nolimit'
    (sixel, no XTSMGRAPHICS answer), 'kitty' (graphics protocol, XTVERSION
    kitty), 'iterm2' (XTVERSION iTerm2), 'plain' (DA1 without sixel)."""

    def __init__(self, argv, cols=100, rows=45, cell=(10, 20), profile="xterm",
                 sixel_max=(1000, 1000), env=None):
        self.cols, self.rows, self.cell = cols, rows, cell
        self.profile, self.sixel_max = profile, sixel_max
        self.out = bytearray()
        self.replied = 0
        pid, fd = pty.fork()
        if pid == 0:
            e = dict(os.environ)
            e.update(env or {})
            try:
                os.execvpe(argv[0], argv, e)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.resize(cols, rows)

    def resize(self, cols, rows):
        self.cols, self.rows = cols, rows
        ws = struct.pack("HHHH", rows, cols, cols * self.cell[0], rows * self.cell[1])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, ws)

    # ---- queries ---------------------------------------------------------
    def _answer(self):
        """Replies to every query seen since the last call, in order."""
        data = bytes(self.out)
        pat = re.compile(rb"\x1b\[c|\x1b\[0c|\x1b\[\?(\d+);(\d+);\d*S|\x1b\[16t|\x1b\[>0?q|"
                         rb"\x1b_G([^\x1b]*)\x1b\\")
        for m in pat.finditer(data, self.replied):
            q = m.group(0)
            r = b""
            p = self.profile
            if q in (b"\x1b[c", b"\x1b[0c"):
                r = b"\x1b[?63;1;2;4;6;9;15;22c" if p.startswith("xterm") else b"\x1b[?62;22c"
            elif q.endswith(b"S") and p == "xterm":
                item = int(m.group(1))
                r = (b"\x1b[?1;0;256S" if item == 1 else
                     b"\x1b[?2;0;%d;%dS" % self.sixel_max)
            elif q.endswith(b"S") and p == "xterm-nolimit":
                r = b"\x1b[?%s;1;0S" % m.group(1)
            elif q == b"\x1b[16t":
                r = b"\x1b[6;%d;%dt" % (self.cell[1], self.cell[0])
            elif q.startswith(b"\x1b[>"):
                name = {"kitty": b"kitty(0.26.5)", "iterm2": b"iTerm2 3.5.0"}.get(p)
                if name:
                    r = b"\x1bP>|" + name + b"\x1b\\"
            elif q.startswith(b"\x1b_G") and p == "kitty" and b"a=q" in m.group(3):
                i = re.search(rb"i=(\d+)", m.group(3))
                r = b"\x1b_Gi=%s;OK\x1b\\" % (i.group(1) if i else b"0")
            if r:
                os.write(self.fd, r)
            self.replied = m.end()

    def _read(self, wait):
        r, _, _ = select.select([self.fd], [], [], wait)
        if not r:
            return False
        try:
            d = os.read(self.fd, 1 << 16)
        except OSError:
            return None
        if not d:
            return None
        self.out += d
        self._answer()
        return True

    def settle(self, quiet=0.6, bound=120.0):
        """Reads until the program has written nothing for `quiet` seconds
        (or `bound` passed); returns False if it exited."""
        end = time.time() + bound
        last = time.time()
        quiet *= SLOW
        while time.time() < end:
            got = self._read(0.05)
            if got is None:
                return False
            if got:
                last = time.time()
            elif time.time() - last >= quiet:
                return True
        return True

    def keys(self, s):
        os.write(self.fd, s.encode() if isinstance(s, str) else s)

    def mark(self):
        return len(self.out)

    def since(self, m):
        return bytes(self.out[m:])

    def close(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for _ in range(50):
            if self._read(0.05) is None:
                break
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


# ---- decoders --------------------------------------------------------------
SIXEL_RE = re.compile(rb"\x1bP([0-9;]*)q(.*?)\x1b\\", re.S)


def sixels(data):
    """The sixel images in data: list of (position_before, body bytes)."""
    return [(m.start(), m.group(2)) for m in SIXEL_RE.finditer(data)]


def sixel_decode(body):
    """Pixels (h, w, 3 uint8) and the declared raster size of one sixel
    body. Unset pixels stay 0 and are reported in a mask."""
    pal = {}
    x = y = 0
    col = 0
    declared = (0, 0)
    pts = []  # (x, y, colour) runs
    i, n = 0, len(body)
    maxx = maxy = 0
    cols = []
    while i < n:
        c = body[i]
        if c == 0x22:  # " raster attributes
            j = i + 1
            while j < n and (body[j] in b"0123456789;"):
                j += 1
            p = [int(v or 0) for v in body[i + 1:j].split(b";")]
            if len(p) >= 4:
                declared = (p[2], p[3])
            i = j
            continue
        if c == 0x23:  # # colour
            j = i + 1
            while j < n and (body[j] in b"0123456789;"):
                j += 1
            p = [int(v or 0) for v in body[i + 1:j].split(b";")]
            if len(p) >= 5 and p[1] == 2:
                pal[p[0]] = tuple(round(v * 255 / 100) for v in p[2:5])
            col = p[0]
            i = j
            continue
        if c == 0x21:  # ! repeat
            j = i + 1
            while j < n and body[j] in b"0123456789":
                j += 1
            cnt = int(body[i + 1:j] or 1)
            ch = body[j] - 63
            if ch:
                cols.append((x, y, cnt, ch, col))
            x += cnt
            i = j + 1
            maxx = max(maxx, x)
            continue
        if c == 0x24:  # $
            x = 0
        elif c == 0x2D:  # -
            x = 0
            y += 6
        elif 63 <= c <= 126:
            if c != 63:
                cols.append((x, y, 1, c - 63, col))
            x += 1
            maxx = max(maxx, x)
        i += 1
    h = 0
    for (x0, y0, cnt, bits, c) in cols:
        top = max(b for b in range(6) if bits >> b & 1)
        h = max(h, y0 + top + 1)
    w = max([x0 + cnt for (x0, y0, cnt, bits, c) in cols] + [0])
    img = np.zeros((max(h, 1), max(w, 1), 3), np.uint8)
    for (x0, y0, cnt, bits, c) in cols:
        rgb = pal.get(c, (0, 0, 0))
        for b in range(6):
            if bits >> b & 1:
                img[y0 + b, x0:x0 + cnt] = rgb
    return img, declared


KITTY_RE = re.compile(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def kitty_commands(data):
    """The kitty graphics commands in data: list of (keys dict, payload)."""
    out = []
    for m in KITTY_RE.finditer(data):
        keys = {}
        for kv in m.group(1).split(b","):
            if b"=" in kv:
                k, v = kv.split(b"=", 1)
                keys[k.decode()] = v.decode()
        out.append((keys, m.group(2) or b""))
    return out


def kitty_images(data):
    """Transmitted images: list of (keys of the first chunk, payload bytes),
    chunks (m=1 ... m=0) joined and base64-decoded."""
    imgs, cur, first = [], None, None
    for keys, payload in kitty_commands(data):
        if cur is None:
            if keys.get("a") not in ("t", "T"):
                continue
            cur, first = bytearray(), keys
        cur += payload
        if keys.get("m", "0") == "0":
            imgs.append((first, base64.b64decode(bytes(cur))))
            cur = None
    return imgs


ITERM_RE = re.compile(rb"\x1b\]1337;File=([^:]*):([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)")


def iterm_images(data):
    out = []
    for m in ITERM_RE.finditer(data):
        keys = dict(kv.split("=", 1) for kv in m.group(1).decode().split(";") if "=" in kv)
        out.append((keys, base64.b64decode(m.group(2))))
    return out


def png_pixels(png, tmpdir):
    """Decodes PNG bytes with netpbm's pngtopnm: (h, w, 3) uint8."""
    path = os.path.join(tmpdir, "decode.png")
    with open(path, "wb") as f:
        f.write(png)
    ppm = subprocess.run(["pngtopnm", "-mix", path], capture_output=True, check=True).stdout
    return ppm_pixels(ppm)


def ppm_pixels(ppm):
    fields, i = [], 0
    while len(fields) < 4:
        while ppm[i:i + 1].isspace():
            i += 1
        if ppm[i:i + 1] == b"#":
            while ppm[i:i + 1] != b"\n":
                i += 1
            continue
        j = i
        while not ppm[j:j + 1].isspace():
            j += 1
        fields.append(ppm[i:j])
        i = j
    w, h = int(fields[1]), int(fields[2])
    body = ppm[i + 1:i + 1 + w * h * (3 if fields[0] == b"P6" else 1)]
    a = np.frombuffer(body, np.uint8)
    return a.reshape(h, w, 3) if fields[0] == b"P6" else np.repeat(a.reshape(h, w, 1), 3, 2)


POS_RE = re.compile(rb"\x1b\[(\d+);(\d+)H\x1bP([0-9;]*)q(.*?)\x1b\\", re.S)


def composite(data, cols, rows, cell, canvas=None):
    """Paints every positioned sixel in data (CUP then DCS) onto a screen
    canvas of pixels as a terminal would: P2=1 images leave their unset
    pixels alone. Returns the canvas (rows*cell_h, cols*cell_w, 3)."""
    if canvas is None:
        canvas = np.zeros((rows * cell[1], cols * cell[0], 3), np.uint8)
    for m in POS_RE.finditer(data):
        r, c = int(m.group(1)) - 1, int(m.group(2)) - 1
        params = m.group(3).split(b";")
        transparent = len(params) > 1 and params[1] == b"1"
        img, declared = sixel_decode(m.group(4))
        set_ = img.any(axis=2) if transparent else np.ones(img.shape[:2], bool)
        if not transparent and declared[0]:
            h, w = declared[1], declared[0]
            pad = np.zeros((max(h, img.shape[0]), max(w, img.shape[1]), 3), np.uint8)
            pad[:img.shape[0], :img.shape[1]] = img
            img, set_ = pad, np.ones(pad.shape[:2], bool)
        y0, x0 = r * cell[1], c * cell[0]
        h = min(img.shape[0], canvas.shape[0] - y0)
        w = min(img.shape[1], canvas.shape[1] - x0)
        if h <= 0 or w <= 0:
            continue
        sub = canvas[y0:y0 + h, x0:x0 + w]
        sel = set_[:h, :w]
        sub[sel] = img[:h, :w][sel]
    return canvas
