package trail

import (
	"bytes"
	"strings"
)

// finder searches for one needle by its rare bytes. bytes.Index starts from
// the needle's first byte, and in JSON text the first bytes of our needles
// ('e', '{', 'C') are so common that most of its time goes to false starts.
//
// With AVX2, a finder tests its two rarest bytes at their distance apart, 64
// positions at a time (pairBlocks), so it stops almost only where the needle
// is. Elsewhere it looks for its rarest byte with IndexByte, which stops at
// every occurrence of that byte: 'V', the rarest byte of a record start, is
// also in tlsVersion, SignatureVersion and SigV4, about five a record.
type finder struct {
	needle []byte
	k      int // offset of the rarest byte in needle
	k1, k2 int // offsets of the two rarest bytes, k1 < k2 (k1 == k2 for a one-byte needle)
	// whole16: the needle is 16 bytes and no proper prefix of it is also
	// a suffix, so its occurrences never overlap and count can use
	// countNeedle16.
	whole16 bool
}

// SearchMethod says which search this machine uses, for benchmark reports.
func SearchMethod() string {
	if pairSIMD {
		return "AVX2 pair search"
	}
	return "portable search (IndexByte on the rarest byte)"
}

func newFinder(needle string) finder {
	f := finder{needle: []byte(needle)}
	f.choose(func(c byte) int { return -rarity(c) })
	f.whole16 = len(needle) == 16 && !selfOverlaps(needle)
	return f
}

// rarity ranks bytes by how seldom they appear in CloudTrail JSON.
func rarity(c byte) int {
	switch {
	case c == 'V' || c == 'Q' || c == 'Z' || c == 'X' || c == 'J' || c == 'K' || c == 'Y':
		return 4
	case c >= 'A' && c <= 'Z':
		return 3
	case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		return 1
	}
	return 0 // quotes, braces, colons, commas: the commonest of all
}

// tune picks the needle bytes that are rarest in sample, a stretch of the
// text to be searched: the static ranking guesses, the sample knows.
func (f *finder) tune(counts *[256]int) {
	f.choose(func(c byte) int { return counts[c] })
}

// choose sets the rarest byte and the rarest pair by cost, lower being
// rarer. The pair's second byte differs in value from the first where the
// needle allows: "VV" would stop wherever one V follows another.
func (f *finder) choose(cost func(byte) int) {
	n := f.needle
	f.k = 0
	for i, c := range n {
		if cost(c) < cost(n[f.k]) {
			f.k = i
		}
	}
	other := -1
	for i, c := range n {
		if i == f.k {
			continue
		}
		if other < 0 {
			other = i
			continue
		}
		same, otherSame := c == n[f.k], n[other] == n[f.k]
		if same != otherSame {
			if !same {
				other = i
			}
			continue
		}
		if cost(c) < cost(n[other]) {
			other = i
		}
	}
	if other < 0 {
		f.k1, f.k2 = f.k, f.k
		return
	}
	f.k1, f.k2 = min(f.k, other), max(f.k, other)
}

// byteCounts counts each byte value in b.
func byteCounts(b []byte) *[256]int {
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	return &counts
}

// index returns the first offset of the needle in b, or -1.
func (f finder) index(b []byte) int {
	if pairSIMD && f.k1 != f.k2 {
		return f.indexPair(b)
	}
	return f.indexByte(b)
}

// indexPair looks for the needle's two rarest bytes at their distance apart
// and compares the needle where they are.
func (f finder) indexPair(b []byte) int {
	n, k1, k2 := len(f.needle), f.k1, f.k2
	c1, c2 := f.needle[k1], f.needle[k2]
	for off := 0; len(b)-off >= n; {
		// Position i of w is the needle starting at off+i, for every start
		// that leaves room for the whole needle.
		w := b[off+k1 : len(b)-n+1+k2]
		i := indexPair(w, c1, c2, k2-k1)
		if i < 0 {
			return -1
		}
		p := off + i
		if bytes.Equal(b[p:p+n], f.needle) {
			return p
		}
		off = p + 1
	}
	return -1
}

// indexByte looks for the needle's rarest byte and compares the needle
// around each one.
func (f finder) indexByte(b []byte) int {
	n, k := len(f.needle), f.k
	c, first, last := f.needle[k], f.needle[0], f.needle[n-1]
	for i := k; i < len(b); {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return -1
		}
		p := i + j - k
		// Most false starts fail on the first or last byte: test those
		// before calling out to compare the rest.
		if p+n <= len(b) && b[p] == first && b[p+n-1] == last && bytes.Equal(b[p:p+n], f.needle) {
			return p
		}
		i += j + 1
	}
	return -1
}

// indexPair returns the smallest i with b[i] == c1 and b[i+d] == c2, or -1;
// d > 0.
func indexPair(b []byte, c1, c2 byte, d int) int {
	n := len(b) - d // the positions to test
	i := 0
	if pairSIMD && n >= 64 {
		i = n &^ 63
		if j := pairBlocks(b, c1, c2, d, i); j >= 0 {
			return j
		}
	}
	for i < n {
		j := bytes.IndexByte(b[i:n], c1)
		if j < 0 {
			return -1
		}
		i += j
		if b[i+d] == c2 {
			return i
		}
		i++
	}
	return -1
}

// count returns how many non-overlapping needles b holds. A 16-byte needle
// that cannot overlap itself (a record start) is counted by the vector
// loop, which does not stop at each one.
func (f finder) count(b []byte) int {
	n := 0
	if pairSIMD && f.whole16 && len(b) >= 64 {
		m := (len(b) - 15) &^ 63
		n = countNeedle16(b, (*[16]byte)(f.needle), f.needle[f.k1], f.needle[f.k2], f.k1, f.k2, m)
		// The rest: needles starting at m or later.
		b = b[m:]
	}
	for {
		i := f.index(b)
		if i < 0 {
			return n
		}
		n++
		b = b[i+len(f.needle):]
	}
}

// selfOverlaps reports whether a proper prefix of s is also its suffix, so
// that two occurrences can overlap.
func selfOverlaps(s string) bool {
	for i := 1; i < len(s); i++ {
		if strings.HasPrefix(s, s[i:]) {
			return true
		}
	}
	return false
}
