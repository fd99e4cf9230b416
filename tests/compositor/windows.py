# SPDX-License-Identifier: GPL-3.0-or-later
# Questions about a `cloison-ctl windows` or `cloison-ctl outputs` reply, for
# the shell tests (lib.sh's install_window_query copies it to $T/q.py):
#
#   q.py FILE COMMAND ARGS...
#
# A window (SEL) is named by "title:TEXT", "app:APP_ID" or "role:ROLE"; any
# other SEL is a title.  Exit status 1 when there is no such window or point.
#
#   get SEL FIELD          the field (booleans and null as JSON)
#   index SEL              its place in the list (0: top of the stack)
#   geometry SEL           X Y W H of its client area
#   focused                the titles of the focused windows, or "-"
#   count PREFIX           how many titles start with PREFIX
#   summary                a line a window: title, id, cage/level, place,
#                          size, focused, unmapped
#   summary-places         a line a window: title, cage/level, place, size,
#                          focused
#   summary-roles          one line: title(role) focused unmapped; ...
#   frame-point SEL [W H]  a point of the border just outside the client
#                          area that no window stacked above covers (and
#                          inside a W x H screen when given)
#   client-point SEL [W H] the same inside the client area
#   title-point SEL        a point of the title bar, away from the label
#   window TITLE           id cage level mapped focused x y w h
#   cage-window CAGE       id x y w h of the first mapped window of CAGE
#   output NAME            an output's x y w h and its work area's x y w h
#   output-names           the outputs' names
#   first-output           the first output's name, width and height
import json
import sys

BORDER, TITLEBAR = 4, 24
KINDS = {"title": "title", "app": "app_id", "role": "role"}

d = json.load(open(sys.argv[1]))
cmd, args = sys.argv[2], sys.argv[3:]
ws = d.get("windows", [])


def find(sel):
    kind, _, value = sel.partition(":")
    if kind in KINDS:
        key = KINDS[kind]
    else:
        key, value = "title", sel
    for i, w in enumerate(ws):
        if w[key] == value:
            return i, w
    sys.exit(1)


def outer(w):
    return (w["x"] - BORDER, w["y"] - BORDER - TITLEBAR,
            w["x"] + w["width"] + BORDER, w["y"] + w["height"] + BORDER)


def covered(x, y, idx):
    for w in ws[:idx]:
        if not w["mapped"]:
            continue
        x0, y0, x1, y1 = outer(w)
        if x0 <= x < x1 and y0 <= y < y1:
            return True
    return False


def first_free(points, idx, screen):
    for x, y in points:
        if screen and not (0 <= x < screen[0] and 0 <= y < screen[1]):
            continue
        if not covered(x, y, idx):
            print(x, y)
            return
    sys.exit(1)


def point(inside):
    i, w = find(args[0])
    screen = [int(v) for v in args[1:3]] if len(args) >= 3 else None
    x, y, cw, ch = w["x"], w["y"], w["width"], w["height"]
    fs = (0.5, 0.25, 0.75, 0.1, 0.9)
    if inside:
        pts = [(x + int(cw * fx), y + int(ch * fy)) for fy in fs for fx in fs]
    else:
        pts = []
        for f in fs:
            pts += [(x - 2, y + int(ch * f)), (x + cw + 1, y + int(ch * f)),
                    (x + int(cw * f), y + ch + 1)]
    first_free(pts, i, screen)


def flags(w, unmapped=True):
    return (" focused" if w["focused"] else "") + \
        ("" if w["mapped"] or not unmapped else " unmapped")


if cmd == "get":
    v = find(args[0])[1][args[1]]
    print(json.dumps(v) if isinstance(v, bool) or v is None else v)
elif cmd == "index":
    print(find(args[0])[0])
elif cmd == "geometry":
    w = find(args[0])[1]
    print(w["x"], w["y"], w["width"], w["height"])
elif cmd == "focused":
    print(" ".join(w["title"] for w in ws if w["focused"]) or "-")
elif cmd == "count":
    print(sum(1 for w in ws if w["title"].startswith(args[0])))
elif cmd == "summary":
    for w in ws:
        print("%s id %d %s/%s at %d,%d %dx%d%s" % (
            json.dumps(w["title"]), w["id"], w["cage"], w["level"], w["x"], w["y"],
            w["width"], w["height"], flags(w)))
elif cmd == "summary-places":
    for w in ws:
        print("%s %s/%s at %d,%d %dx%d%s" % (
            json.dumps(w["title"]), w["cage"], w["level"], w["x"], w["y"],
            w["width"], w["height"], flags(w, unmapped=False)))
elif cmd == "summary-roles":
    print("; ".join("%s(%s)%s" % (w["title"], w["role"], flags(w)) for w in ws))
elif cmd == "frame-point":
    point(inside=False)
elif cmd == "client-point":
    point(inside=True)
elif cmd == "title-point":
    w = find(args[0])[1]
    print(w["x"] + w["width"] - 20, w["y"] - BORDER - TITLEBAR // 2)
elif cmd == "window":
    w = find("title:" + args[0])[1]
    print(w["id"], w["cage"], w["level"], str(w["mapped"]).lower(),
          str(w["focused"]).lower(), w["x"], w["y"], w["width"], w["height"])
elif cmd == "cage-window":
    for w in ws:
        if w["cage"] == args[0] and w["mapped"]:
            print(w["id"], w["x"], w["y"], w["width"], w["height"])
            break
    else:
        sys.exit(1)
elif cmd == "output":
    for o in d.get("outputs", []):
        if o["name"] == args[0]:
            a = o["work_area"]
            print(o["x"], o["y"], o["width"], o["height"],
                  a["x"], a["y"], a["width"], a["height"])
            sys.exit(0)
    sys.exit(1)
elif cmd == "output-names":
    print(" ".join(o["name"] for o in d.get("outputs", [])))
elif cmd == "first-output":
    o = d["outputs"][0]
    print(o["name"], o["width"], o["height"])
else:
    sys.exit("unknown command " + cmd)
