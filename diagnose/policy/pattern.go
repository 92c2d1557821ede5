package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A pattern is a policy value after policy-variable substitution. Characters
// are either literal or the wildcards * and ?; keeping them apart is what lets
// ${*} and ${?} stand for a literal asterisk and question mark, and keeps a
// substituted value such as a user name from acting as a wildcard.
type pattern []patChar

type patChar struct {
	r    rune
	wild bool // r is '*' or '?' acting as a wildcard
}

func (p pattern) String() string {
	var b strings.Builder
	for _, c := range p {
		b.WriteRune(c.r)
	}
	return b.String()
}

func literalPattern(s string, wild bool) pattern {
	p := make(pattern, 0, len(s))
	for _, r := range s {
		p = append(p, patChar{r: r, wild: wild && (r == '*' || r == '?')})
	}
	return p
}

// MatchWildcard reports whether s matches pattern, where * matches any run of
// characters (also none) and ? exactly one character. It takes time linear
// in len(s) for patterns whose runs between stars hold no ?, and at most
// len(s) times the longest run otherwise: it never backtracks.
func MatchWildcard(pattern, s string, caseInsensitive bool) bool {
	if !strings.ContainsAny(pattern, "*?") {
		if caseInsensitive {
			return strings.EqualFold(pattern, s)
		}
		return pattern == s
	}
	g := stringGlob(pattern)
	return g.match(s, caseInsensitive)
}

// match is MatchWildcard for a substituted pattern; its characters compare
// rune by rune whether or not it holds a wildcard.
func (p pattern) match(s string, caseInsensitive bool) bool {
	g := patternGlob(p)
	return g.match(s, caseInsensitive)
}

// anyRune stands for the ? wildcard in a globRun.
const anyRune rune = -1

// A glob is a wildcard pattern split at its * wildcards into runs of
// characters. A string matches when the first run matches its start, the
// last run its end, and the runs between them occur in order: taking each at
// its leftmost place is always right, so matching never backtracks.
type glob struct {
	// plain: the pattern is a string without wildcards, compared whole
	// (strings.EqualFold when case-insensitive).
	plain bool
	text  string
	runs  []globRun // len(runs) == stars+1
}

// A globRun is the text between two stars: lit when strings.Index can find
// it (no ?, valid UTF-8 without U+FFFD, which an invalid byte of s decodes
// to, so that byte equality at a rune start is rune equality), otherwise
// runes, with anyRune for ?.
type globRun struct {
	lit    string
	hasLit bool
	ascii  bool // lit is ASCII
	runes  []rune
	n      int // runes in the run
}

func stringGlob(s string) glob {
	if !strings.ContainsAny(s, "*?") {
		return glob{plain: true, text: s}
	}
	g := glob{text: s, runs: make([]globRun, 0, strings.Count(s, "*")+1)}
	for {
		seg, rest, more := strings.Cut(s, "*")
		g.runs = append(g.runs, stringRun(seg))
		if !more {
			return g
		}
		s = rest
	}
}

func stringRun(seg string) globRun {
	if !strings.ContainsRune(seg, '?') && utf8.ValidString(seg) && !strings.ContainsRune(seg, utf8.RuneError) {
		return litRun(seg)
	}
	r := globRun{runes: make([]rune, 0, len(seg))}
	for _, c := range seg {
		if c == '?' {
			c = anyRune
		}
		r.runes = append(r.runes, c)
	}
	r.n = len(r.runes)
	return r
}

func litRun(lit string) globRun {
	r := globRun{lit: lit, hasLit: true, ascii: true, n: utf8.RuneCountInString(lit)}
	for i := 0; i < len(lit); i++ {
		if lit[i] >= utf8.RuneSelf {
			r.ascii = false
			break
		}
	}
	return r
}

func patternGlob(p pattern) glob {
	g := glob{text: p.String()}
	start := 0
	for i, c := range p {
		if c.wild && c.r == '*' {
			g.runs = append(g.runs, patternRun(p[start:i]))
			start = i + 1
		}
	}
	g.runs = append(g.runs, patternRun(p[start:]))
	return g
}

func patternRun(p pattern) globRun {
	r := globRun{runes: make([]rune, len(p)), n: len(p)}
	lit := true
	for i, c := range p {
		r.runes[i] = c.r
		if c.wild {
			r.runes[i], lit = anyRune, false // only ? is left
		}
		if c.r == utf8.RuneError {
			lit = false
		}
	}
	if lit {
		return litRun(string(r.runes))
	}
	return r
}

// at matches the run at byte offset i of s and returns where it ends.
func (r *globRun) at(s string, i int, ci bool) (int, bool) {
	if !r.hasLit {
		for _, pr := range r.runes {
			if i >= len(s) {
				return 0, false
			}
			c, size := utf8.DecodeRuneInString(s[i:])
			if pr != anyRune && !runeEqual(pr, c, ci) {
				return 0, false
			}
			i += size
		}
		return i, true
	}
	if !ci {
		if strings.HasPrefix(s[i:], r.lit) {
			return i + len(r.lit), true
		}
		return 0, false
	}
	if r.ascii {
		// ASCII bytes fold by arithmetic; a non-ASCII rune of s may still
		// lower-case to an ASCII letter (the Kelvin sign), so it takes the
		// rune by rune path.
		j := i
		for k := 0; k < len(r.lit); k++ {
			if j >= len(s) {
				return 0, false
			}
			c := s[j]
			if c >= utf8.RuneSelf {
				goto runes
			}
			if lowerASCII(c) != lowerASCII(r.lit[k]) {
				return 0, false
			}
			j++
		}
		return j, true
	}
runes:
	for _, pr := range r.lit {
		if i >= len(s) {
			return 0, false
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if !runeEqual(pr, c, ci) {
			return 0, false
		}
		i += size
	}
	return i, true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func runeEqual(pr, c rune, ci bool) bool {
	return pr == c || ci && unicode.ToLower(pr) == unicode.ToLower(c)
}

// find returns the end of the run's leftmost occurrence in s at or after i.
func (r *globRun) find(s string, i int, ci bool) (int, bool) {
	if r.n == 0 {
		return i, true
	}
	if r.hasLit && !ci {
		// Every byte that starts the run's valid UTF-8 starts a rune of s.
		j := strings.Index(s[i:], r.lit)
		if j < 0 {
			return 0, false
		}
		return i + j + len(r.lit), true
	}
	for ; i < len(s); i += runeLen(s[i:]) {
		if end, ok := r.at(s, i, ci); ok {
			return end, true
		}
	}
	return 0, false
}

func runeLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return n
}

func (g *glob) match(s string, ci bool) bool {
	if g.plain {
		if ci {
			return strings.EqualFold(g.text, s)
		}
		return g.text == s
	}
	first := &g.runs[0]
	if len(g.runs) == 1 {
		end, ok := first.at(s, 0, ci)
		return ok && end == len(s)
	}
	pos, ok := first.at(s, 0, ci)
	if !ok {
		return false
	}
	for k := 1; k < len(g.runs)-1; k++ {
		if pos, ok = g.runs[k].find(s, pos, ci); !ok {
			return false
		}
	}
	// The last run ends s: it starts as many runes before the end as it has.
	last := &g.runs[len(g.runs)-1]
	if last.hasLit && !ci {
		return len(s)-pos >= len(last.lit) && strings.HasSuffix(s, last.lit)
	}
	n := utf8.RuneCountInString(s[pos:]) - last.n
	if n < 0 {
		return false
	}
	for ; n > 0; n-- {
		pos += runeLen(s[pos:])
	}
	end, ok := last.at(s, pos, ci)
	return ok && end == len(s)
}
