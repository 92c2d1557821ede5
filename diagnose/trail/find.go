package trail

import "bytes"

// finder searches for one needle by its rarest byte: bytes.Index starts from
// the needle's first byte, and in JSON text the first bytes of our needles
// ('e', '{', 'C') are so common that most of its time goes to false starts.
// An upper-case letter from the middle of the needle is rare in CloudTrail
// text, so IndexByte (vectorised) skips most of each chunk in one step.
type finder struct {
	needle []byte
	k      int // offset of the rare byte in needle
}

func newFinder(needle string) finder {
	f := finder{needle: []byte(needle)}
	for i, c := range f.needle {
		if rarity(c) > rarity(f.needle[f.k]) {
			f.k = i
		}
	}
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

// tune picks the needle byte that is rarest in sample, a stretch of the
// text to be searched: the static ranking guesses, the sample knows.
func (f *finder) tune(counts *[256]int) {
	for i, c := range f.needle {
		if counts[c] < counts[f.needle[f.k]] {
			f.k = i
		}
	}
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

// count returns how many non-overlapping needles b holds.
func (f finder) count(b []byte) int {
	n := 0
	for {
		i := f.index(b)
		if i < 0 {
			return n
		}
		n++
		b = b[i+len(f.needle):]
	}
}
