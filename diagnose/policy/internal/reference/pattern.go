package reference

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

func (p pattern) hasWild() bool {
	for _, c := range p {
		if c.wild {
			return true
		}
	}
	return false
}

func literalPattern(s string, wild bool) pattern {
	p := make(pattern, 0, len(s))
	for _, r := range s {
		p = append(p, patChar{r: r, wild: wild && (r == '*' || r == '?')})
	}
	return p
}

// MatchWildcard reports whether s matches pattern, where * matches any run of
// characters (also none) and ? exactly one character.
func MatchWildcard(pattern, s string, caseInsensitive bool) bool {
	if !strings.ContainsAny(pattern, "*?") {
		if caseInsensitive {
			return strings.EqualFold(pattern, s)
		}
		return pattern == s
	}
	// The same linear-time glob as pattern.match, on strings, so the common
	// case (no policy variables) allocates nothing.
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for si < len(s) {
		r, size := utf8.DecodeRuneInString(s[si:])
		if pi < len(pattern) {
			pr, psize := utf8.DecodeRuneInString(pattern[pi:])
			if pr == '*' {
				starPi, starSi = pi, si
				pi += psize
				continue
			}
			if pr == '?' || pr == r || (caseInsensitive && unicode.ToLower(pr) == unicode.ToLower(r)) {
				pi += psize
				si += size
				continue
			}
		}
		if starPi < 0 {
			return false
		}
		_, starSize := utf8.DecodeRuneInString(s[starSi:])
		starSi += starSize
		pi, si = starPi+1, starSi
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// match is the usual linear-time glob: on a mismatch, retry from the last
// star with one more character consumed by it.
func (p pattern) match(s string, caseInsensitive bool) bool {
	if caseInsensitive {
		s = strings.ToLower(s)
	}
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for si < len(s) {
		r, size := utf8.DecodeRuneInString(s[si:])
		if pi < len(p) {
			c := p[pi]
			if c.wild && c.r == '*' {
				starPi, starSi = pi, si
				pi++
				continue
			}
			pr := c.r
			if caseInsensitive {
				pr = unicode.ToLower(pr)
			}
			if (c.wild && c.r == '?') || pr == r {
				pi++
				si += size
				continue
			}
		}
		if starPi < 0 {
			return false
		}
		_, starSize := utf8.DecodeRuneInString(s[starSi:])
		starSi += starSize
		pi, si = starPi+1, starSi
	}
	for pi < len(p) && p[pi].wild && p[pi].r == '*' {
		pi++
	}
	return pi == len(p)
}

// policyValue is a policy value ready to compare: its text and, when policy
// variables were substituted, the pattern that keeps literal and wildcard
// characters apart (nil otherwise, the common and allocation-free case).
type policyValue struct {
	s   string
	pat pattern
}

// like matches x against the value with * and ? as wildcards.
func (v policyValue) like(x string) bool {
	if v.pat != nil {
		return v.pat.match(x, false)
	}
	return MatchWildcard(v.s, x, false)
}

// expand substitutes policy variables in a policy value (2012-10-17 only):
// ${key} takes the request's single value for key (names case-insensitive),
// ${key, 'default'} falls back to default when the key is absent, and ${*},
// ${?}, ${$} stand for literal *, ? and $. A variable whose key is absent
// (or multi-valued) and has no default leaves the value unresolved: it then
// matches nothing, and the key is reported as missing.
func (e *evaluation) expand(s string, wild bool) (val policyValue, missing []string, ok bool) {
	if !e.variables || !strings.Contains(s, "${") {
		return policyValue{s: s}, nil, true
	}
	pat := make(pattern, 0, len(s))
	ok = true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		pat = append(pat, literalPattern(s[:i], wild)...)
		body := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			pat = append(pat, patChar{r: rune(body[0])})
			continue
		}
		key, def, hasDef := body, "", false
		if k, d, found := strings.Cut(body, ","); found {
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				key, def, hasDef = strings.TrimSpace(k), d[1:len(d)-1], true
			}
		}
		vals, present := e.lookup(key)
		switch {
		case present && len(vals) == 1:
			pat = append(pat, literalPattern(vals[0], false)...)
		case hasDef:
			// The default also stands in for a multi-valued key, which
			// cannot be substituted; '' writes a single quote.
			pat = append(pat, literalPattern(strings.ReplaceAll(def, "''", "'"), false)...)
		default:
			if !present {
				missing = append(missing, canonicalKey(key))
			}
			ok = false
		}
	}
	pat = append(pat, literalPattern(s, wild)...)
	return policyValue{s: pat.String(), pat: pat}, missing, ok
}

// expandResource substitutes policy variables in a Resource or NotResource
// value. IAM takes variables "only in the resource portion of the ARN", after
// the fifth colon; before it (service, region, account) and in a value that is
// not an ARN, ${...} is literal text, which no request resource carries.
func (e *evaluation) expandResource(s string) (val policyValue, missing []string, ok bool) {
	if !e.variables || !strings.Contains(s, "${") {
		return policyValue{s: s}, nil, true
	}
	cut, colons := -1, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colons++
			if colons == 5 {
				cut = i + 1
				break
			}
		}
	}
	if cut < 0 || !strings.Contains(s[cut:], "${") {
		return policyValue{s: s}, nil, true
	}
	tail, missing, ok := e.expand(s[cut:], true)
	if tail.pat == nil {
		tail.pat = literalPattern(tail.s, true)
	}
	pat := append(literalPattern(s[:cut], true), tail.pat...)
	return policyValue{s: pat.String(), pat: pat}, missing, ok
}
