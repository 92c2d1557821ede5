package policy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type setQualifier int

const (
	noSet setQualifier = iota
	forAllValues
	forAnyValue
)

// operator is a parsed condition operator name.
type operator struct {
	base     *baseOp
	ifExists bool
	set      setQualifier
}

func (o operator) valid() bool { return o.base != nil }

type family int

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type baseOp struct {
	name    string
	fam     family
	negated bool // true when the operator asks that the key NOT match
	// variables: whether policy variables are substituted in its values
	variables bool
	// cmp compares one request value with one policy value; for negated
	// operators it is the positive test, which the caller negates.
	cmp func(ctx string, policy *policyValue) (bool, error)
}

// like reports whether the operator's values are wildcard patterns.
func (b *baseOp) like() bool {
	return b.name == "StringLike" || b.name == "StringNotLike" || b.fam == famARN
}

// policyValue is one policy value ready to compare with request values: its
// text and what the operator's family reads from it, parsed once (at parse
// time, or per request for a value holding a policy variable).
type policyValue struct {
	s      string
	glob   glob    // StringLike, StringNotLike
	arn    [6]glob // ARN operators; arnOK when s has six components
	arnOK  bool
	num    float64
	date   time.Time
	prefix netip.Prefix
	b      bool
	bin    []byte
	err    error // s is not a value of the operator's family
}

// value parses s for the operator; pat, when non-nil, is s after variable
// substitution, which keeps substituted wildcard characters literal.
func (b *baseOp) value(s string, pat pattern) policyValue {
	v := policyValue{s: s}
	switch b.fam {
	case famString:
		if b.like() {
			if pat != nil {
				v.glob = patternGlob(pat)
			} else {
				v.glob = stringGlob(s)
			}
		}
	case famARN:
		v.arn, v.arnOK = arnGlobs(s, pat)
	case famNumeric:
		v.num, v.err = parseNumber(s)
	case famDate:
		v.date, v.err = parseDate(s)
	case famBool:
		v.b, v.err = parseBool(s)
	case famBinary:
		var err error
		if v.bin, err = base64.StdEncoding.DecodeString(s); err != nil {
			v.err = fmt.Errorf("policy value %q is not base64", s)
		}
	case famIP:
		v.prefix, v.err = parsePrefix(s)
	}
	return v
}

var baseOps = map[string]*baseOp{}

func init() {
	add := func(name string, fam family, negated, vars bool, cmp func(string, *policyValue) (bool, error)) {
		baseOps[name] = &baseOp{name: name, fam: fam, negated: negated, variables: vars, cmp: cmp}
	}
	strEq := func(c string, p *policyValue) (bool, error) { return c == p.s, nil }
	strEqFold := func(c string, p *policyValue) (bool, error) { return strings.EqualFold(c, p.s), nil }
	strLike := func(c string, p *policyValue) (bool, error) { return p.glob.match(c, false), nil }
	add("StringEquals", famString, false, true, strEq)
	add("StringNotEquals", famString, true, true, strEq)
	add("StringEqualsIgnoreCase", famString, false, true, strEqFold)
	add("StringNotEqualsIgnoreCase", famString, true, true, strEqFold)
	add("StringLike", famString, false, true, strLike)
	add("StringNotLike", famString, true, true, strLike)

	num := func(f func(a, b float64) bool) func(string, *policyValue) (bool, error) {
		return func(c string, p *policyValue) (bool, error) {
			a, err := parseNumber(c)
			if err != nil {
				return false, fmt.Errorf("request value %q is not a number", c)
			}
			if p.err != nil {
				return false, p.err
			}
			return f(a, p.num), nil
		}
	}
	eq := func(a, b float64) bool { return a == b }
	add("NumericEquals", famNumeric, false, false, num(eq))
	add("NumericNotEquals", famNumeric, true, false, num(eq))
	add("NumericLessThan", famNumeric, false, false, num(func(a, b float64) bool { return a < b }))
	add("NumericLessThanEquals", famNumeric, false, false, num(func(a, b float64) bool { return a <= b }))
	add("NumericGreaterThan", famNumeric, false, false, num(func(a, b float64) bool { return a > b }))
	add("NumericGreaterThanEquals", famNumeric, false, false, num(func(a, b float64) bool { return a >= b }))

	date := func(f func(a, b time.Time) bool) func(string, *policyValue) (bool, error) {
		return func(c string, p *policyValue) (bool, error) {
			a, err := parseDate(c)
			if err != nil {
				return false, fmt.Errorf("request value %q is not a date", c)
			}
			if p.err != nil {
				return false, p.err
			}
			return f(a, p.date), nil
		}
	}
	deq := func(a, b time.Time) bool { return a.Equal(b) }
	add("DateEquals", famDate, false, false, date(deq))
	add("DateNotEquals", famDate, true, false, date(deq))
	add("DateLessThan", famDate, false, false, date(func(a, b time.Time) bool { return a.Before(b) }))
	add("DateLessThanEquals", famDate, false, false, date(func(a, b time.Time) bool { return !a.After(b) }))
	add("DateGreaterThan", famDate, false, false, date(func(a, b time.Time) bool { return a.After(b) }))
	add("DateGreaterThanEquals", famDate, false, false, date(func(a, b time.Time) bool { return !a.Before(b) }))

	add("Bool", famBool, false, true, func(c string, p *policyValue) (bool, error) {
		a, err := parseBool(c)
		if err != nil {
			return false, fmt.Errorf("request value %q is not true or false", c)
		}
		if p.err != nil {
			return false, p.err
		}
		return a == p.b, nil
	})
	add("BinaryEquals", famBinary, false, false, func(c string, p *policyValue) (bool, error) {
		if p.err != nil {
			return false, p.err
		}
		// Request values are raw bytes in AWS; on the command line they come
		// base64-encoded like the policy's, so accept either form.
		if got, err := base64.StdEncoding.DecodeString(c); err == nil && bytes.Equal(got, p.bin) {
			return true, nil
		}
		return c == string(p.bin), nil
	})
	ip := func(c string, p *policyValue) (bool, error) {
		if p.err != nil {
			return false, p.err
		}
		addr, err := netip.ParseAddr(strings.TrimSpace(c))
		if err != nil {
			return false, fmt.Errorf("request value %q is not an IP address", c)
		}
		return p.prefix.Contains(addr.Unmap()), nil
	}
	add("IpAddress", famIP, false, false, ip)
	add("NotIpAddress", famIP, true, false, ip)

	arnCmp := func(c string, p *policyValue) (bool, error) { return arnMatch(c, p), nil }
	// ArnEquals and ArnLike are the same test: AWS documents both as
	// component-wise, case-sensitive, with * and ? allowed in each component.
	add("ArnEquals", famARN, false, true, arnCmp)
	add("ArnLike", famARN, false, true, arnCmp)
	add("ArnNotEquals", famARN, true, true, arnCmp)
	add("ArnNotLike", famARN, true, true, arnCmp)

	add("Null", famNull, false, false, nil)
}

func parseOperator(name string) (operator, error) {
	var op operator
	rest := name
	if q, r, found := strings.Cut(name, ":"); found {
		switch q {
		case "ForAllValues":
			op.set = forAllValues
		case "ForAnyValue":
			op.set = forAnyValue
		default:
			return op, fmt.Errorf("unknown condition operator %q: the only set qualifiers are ForAllValues: and ForAnyValue:", name)
		}
		rest = r
	}
	if b, found := strings.CutSuffix(rest, "IfExists"); found {
		op.ifExists = true
		rest = b
	}
	op.base = baseOps[rest]
	if op.base == nil {
		msg := fmt.Sprintf("unknown condition operator %q", name)
		for known := range baseOps {
			if strings.EqualFold(known, rest) {
				msg += fmt.Sprintf(" (operator names are case-sensitive: did you mean %q?)", known)
				break
			}
		}
		return operator{}, fmt.Errorf("%s", msg)
	}
	// IAM refuses NullIfExists ("You can add IfExists to the end of any
	// condition operator name except the Null condition"), but stores
	// ForAllValues:Null and ForAnyValue:Null, which its policy checks say
	// always hold and never hold: see the evaluation.
	if op.base.fam == famNull && op.ifExists {
		return operator{}, fmt.Errorf("unknown condition operator %q: Null takes no IfExists (IAM: \"You can add IfExists to the end of any condition operator name except the Null condition\")", name)
	}
	return op, nil
}

// validate rejects policy values the operator can never use, the way IAM
// refuses to save them. Values holding a policy variable are left alone.
func (o operator) validate(vals []string) error {
	for _, v := range vals {
		if strings.Contains(v, "${") && o.base.variables {
			continue
		}
		var err error
		switch o.base.fam {
		case famNumeric:
			_, err = parseNumber(v)
		case famDate:
			_, err = parseDate(v)
		case famBool, famNull:
			_, err = parseBool(v)
		case famBinary:
			if _, e := base64.StdEncoding.DecodeString(v); e != nil {
				err = fmt.Errorf("value %q is not base64", v)
			}
		case famIP:
			_, err = parsePrefix(v)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o.base.name, err)
		}
	}
	return nil
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("value %q is not a number", s)
	}
	return f, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("value %q is not true or false", s)
}

// dateLayouts are the ISO 8601 forms IAM accepts; a bare integer is an epoch
// time in seconds.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02T15Z07:00",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405Z",
	"20060102T150405",
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		// YYYY-MM-DD...: no number has two minus signs there, so only
		// the layouts can read it (the common case, aws:CurrentTime).
		return parseDateLayout(s)
	}
	if s != "" && strings.Trim(s, "0123456789") == "" || (len(s) > 1 && s[0] == '-' && strings.Trim(s[1:], "0123456789") == "") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && n > -1e12 && n < 1e12 {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && math.Abs(f) < 1e12 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return parseDateLayout(s)
}

func parseDateLayout(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("value %q is not an ISO 8601 date or epoch seconds", s)
}

// parsePrefix reads a CIDR block or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("value %q is not a CIDR block", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("value %q is not an IP address or CIDR block", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// arnGlobs splits a policy ARN pattern into its components (arn,
// partition, service, region, account, resource); pat, when non-nil, is the
// value after variable substitution.
func arnGlobs(s string, pat pattern) (g [6]glob, ok bool) {
	if pat == nil {
		parts, ok := splitARN(s)
		if !ok {
			return g, false
		}
		for i, p := range parts {
			g[i] = stringGlob(p)
		}
		return g, true
	}
	n, start := 0, 0
	for i, c := range pat {
		if n == 5 {
			break
		}
		if !c.wild && c.r == ':' {
			g[n] = patternGlob(pat[start:i])
			n++
			start = i + 1
		}
	}
	if n != 5 {
		return g, false
	}
	g[5] = patternGlob(pat[start:])
	return g, true
}

// splitARN cuts s at its first five colons, as strings.SplitN(s, ":", 6)
// does, without allocating.
func splitARN(s string) (parts [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, true
}

// arnMatch compares an ARN with a policy ARN pattern component by component,
// case-sensitively; a wildcard never spans a colon between the first five
// components.
func arnMatch(s string, v *policyValue) bool {
	got, ok := splitARN(s)
	if !ok || !v.arnOK {
		return false
	}
	for i := range got {
		if !v.arn[i].match(got[i], false) {
			return false
		}
	}
	return true
}
