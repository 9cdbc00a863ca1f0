#!/usr/bin/env python3
"""Draws the sample's test digit, seven.pgm: a hand-made 7 (two strokes, anti-aliased), not an MNIST image, laid out as
MNIST lays out its digits (white on black, 28×28, the strokes inside the central 20×20 box).

    /usr/bin/python3 samples/Inference/draw_digit.py
"""
import math
import os

SIZE = 28
# Stroke centre lines in pixel coordinates (x right, y down): the top bar, then the diagonal down to the foot.
STROKES = [((7.5, 7.0), (20.5, 7.0)), ((20.5, 7.0), (12.0, 22.5))]
HALF_WIDTH = 1.4  # pixels of solid ink each side of the centre line
SOFT = 1.0        # then a linear fade over this many pixels


def distance(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def main():
    pixels = bytearray()
    for y in range(SIZE):
        for x in range(SIZE):
            d = min(distance(x + 0.5, y + 0.5, a, b) for a, b in STROKES)
            ink = 1.0 if d <= HALF_WIDTH else max(0.0, 1.0 - (d - HALF_WIDTH) / SOFT)
            pixels.append(round(255 * ink))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seven.pgm")
    with open(path, "wb") as f:
        f.write(b"P5\n# a hand-drawn 7 (draw_digit.py), white on black like MNIST\n28 28\n255\n")
        f.write(pixels)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
