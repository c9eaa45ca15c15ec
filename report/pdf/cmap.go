package pdf

import (
	"encoding/binary"
	"errors"
	"sort"
)

// coverage is the set of runes a TrueType font has glyphs for, read from its
// cmap table. fpdf draws a missing rune as an empty box that text extraction
// still returns as the original character, so the PDF would claim to show a
// name it does not; the renderer prints '?' for such runes instead.
type coverage struct {
	ranges [][2]rune // sorted, inclusive
}

func (c *coverage) has(r rune) bool {
	i := sort.Search(len(c.ranges), func(i int) bool { return c.ranges[i][1] >= r })
	return i < len(c.ranges) && c.ranges[i][0] <= r
}

func (c *coverage) add(lo, hi rune) {
	if n := len(c.ranges); n > 0 && c.ranges[n-1][1]+1 >= lo {
		if hi > c.ranges[n-1][1] {
			c.ranges[n-1][1] = hi
		}
		return
	}
	c.ranges = append(c.ranges, [2]rune{lo, hi})
}

var errCmap = errors.New("font has no usable Unicode cmap")

// readCoverage parses the Unicode cmap subtable of a TrueType font: format 12
// (full Unicode) when present, else format 4 (BMP).
func readCoverage(ttf []byte) (*coverage, error) {
	be := binary.BigEndian
	if len(ttf) < 12 {
		return nil, errCmap
	}
	var cmap []byte
	for i, n := 0, int(be.Uint16(ttf[4:])); i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errCmap
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			off, ln := int(be.Uint32(ttf[rec+8:])), int(be.Uint32(ttf[rec+12:]))
			if off+ln > len(ttf) {
				return nil, errCmap
			}
			cmap = ttf[off : off+ln]
		}
	}
	if len(cmap) < 4 {
		return nil, errCmap
	}
	var f4, f12 []byte
	for i, n := 0, int(be.Uint16(cmap[2:])); i < n; i++ {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			return nil, errCmap
		}
		platform, encoding, off := be.Uint16(cmap[rec:]), be.Uint16(cmap[rec+2:]), int(be.Uint32(cmap[rec+4:]))
		if off+4 > len(cmap) || !(platform == 0 || platform == 3 && (encoding == 1 || encoding == 10)) {
			continue
		}
		switch be.Uint16(cmap[off:]) {
		case 4:
			f4 = cmap[off:]
		case 12:
			f12 = cmap[off:]
		}
	}
	c := &coverage{}
	switch {
	case len(f12) >= 16:
		n := int(be.Uint32(f12[12:]))
		for g := 0; g < n && 16+12*g+12 <= len(f12); g++ {
			p := f12[16+12*g:]
			lo, hi, glyph := rune(be.Uint32(p)), rune(be.Uint32(p[4:])), be.Uint32(p[8:])
			if glyph == 0 {
				lo++ // the first code maps to .notdef
			}
			if lo <= hi {
				c.add(lo, hi)
			}
		}
	case len(f4) >= 14:
		segs := int(be.Uint16(f4[6:])) / 2
		ends, starts := 14, 16+2*segs
		deltas, offsets := starts+2*segs, starts+4*segs
		if offsets+2*segs > len(f4) {
			return nil, errCmap
		}
		for s := 0; s < segs; s++ {
			end, start := rune(be.Uint16(f4[ends+2*s:])), rune(be.Uint16(f4[starts+2*s:]))
			delta, ro := be.Uint16(f4[deltas+2*s:]), int(be.Uint16(f4[offsets+2*s:]))
			for r := start; r <= end && r != 0xFFFF; r++ {
				glyph := uint16(r) + delta
				if ro != 0 {
					at := offsets + 2*s + ro + 2*int(r-start)
					if at+2 > len(f4) {
						continue
					}
					if glyph = be.Uint16(f4[at:]); glyph != 0 {
						glyph += delta
					}
				}
				if glyph != 0 {
					c.add(r, r)
				}
			}
		}
	default:
		return nil, errCmap
	}
	return c, nil
}
