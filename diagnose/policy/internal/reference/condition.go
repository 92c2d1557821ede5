package reference

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
	cmp func(ctx string, policy policyValue) (bool, error)
}

var baseOps = map[string]*baseOp{}

func init() {
	add := func(name string, fam family, negated, vars bool, cmp func(string, policyValue) (bool, error)) {
		baseOps[name] = &baseOp{name: name, fam: fam, negated: negated, variables: vars, cmp: cmp}
	}
	strEq := func(c string, p policyValue) (bool, error) { return c == p.s, nil }
	strEqFold := func(c string, p policyValue) (bool, error) { return strings.EqualFold(c, p.s), nil }
	strLike := func(c string, p policyValue) (bool, error) { return p.like(c), nil }
	add("StringEquals", famString, false, true, strEq)
	add("StringNotEquals", famString, true, true, strEq)
	add("StringEqualsIgnoreCase", famString, false, true, strEqFold)
	add("StringNotEqualsIgnoreCase", famString, true, true, strEqFold)
	add("StringLike", famString, false, true, strLike)
	add("StringNotLike", famString, true, true, strLike)

	num := func(f func(a, b float64) bool) func(string, policyValue) (bool, error) {
		return func(c string, p policyValue) (bool, error) {
			a, err := parseNumber(c)
			if err != nil {
				return false, fmt.Errorf("request value %q is not a number", c)
			}
			b, err := parseNumber(p.s)
			if err != nil {
				return false, err
			}
			return f(a, b), nil
		}
	}
	eq := func(a, b float64) bool { return a == b }
	add("NumericEquals", famNumeric, false, false, num(eq))
	add("NumericNotEquals", famNumeric, true, false, num(eq))
	add("NumericLessThan", famNumeric, false, false, num(func(a, b float64) bool { return a < b }))
	add("NumericLessThanEquals", famNumeric, false, false, num(func(a, b float64) bool { return a <= b }))
	add("NumericGreaterThan", famNumeric, false, false, num(func(a, b float64) bool { return a > b }))
	add("NumericGreaterThanEquals", famNumeric, false, false, num(func(a, b float64) bool { return a >= b }))

	date := func(f func(a, b time.Time) bool) func(string, policyValue) (bool, error) {
		return func(c string, p policyValue) (bool, error) {
			a, err := parseDate(c)
			if err != nil {
				return false, fmt.Errorf("request value %q is not a date", c)
			}
			b, err := parseDate(p.s)
			if err != nil {
				return false, err
			}
			return f(a, b), nil
		}
	}
	deq := func(a, b time.Time) bool { return a.Equal(b) }
	add("DateEquals", famDate, false, false, date(deq))
	add("DateNotEquals", famDate, true, false, date(deq))
	add("DateLessThan", famDate, false, false, date(func(a, b time.Time) bool { return a.Before(b) }))
	add("DateLessThanEquals", famDate, false, false, date(func(a, b time.Time) bool { return !a.After(b) }))
	add("DateGreaterThan", famDate, false, false, date(func(a, b time.Time) bool { return a.After(b) }))
	add("DateGreaterThanEquals", famDate, false, false, date(func(a, b time.Time) bool { return !a.Before(b) }))

	add("Bool", famBool, false, true, func(c string, p policyValue) (bool, error) {
		a, err := parseBool(c)
		if err != nil {
			return false, fmt.Errorf("request value %q is not true or false", c)
		}
		b, err := parseBool(p.s)
		if err != nil {
			return false, err
		}
		return a == b, nil
	})
	add("BinaryEquals", famBinary, false, false, func(c string, p policyValue) (bool, error) {
		want, err := base64.StdEncoding.DecodeString(p.s)
		if err != nil {
			return false, fmt.Errorf("policy value %q is not base64", p.s)
		}
		// Request values are raw bytes in AWS; on the command line they come
		// base64-encoded like the policy's, so accept either form.
		if got, err := base64.StdEncoding.DecodeString(c); err == nil && bytes.Equal(got, want) {
			return true, nil
		}
		return bytes.Equal([]byte(c), want), nil
	})
	ip := func(c string, p policyValue) (bool, error) {
		prefix, err := parsePrefix(p.s)
		if err != nil {
			return false, err
		}
		addr, err := netip.ParseAddr(strings.TrimSpace(c))
		if err != nil {
			return false, fmt.Errorf("request value %q is not an IP address", c)
		}
		return prefix.Contains(addr.Unmap()), nil
	}
	add("IpAddress", famIP, false, false, ip)
	add("NotIpAddress", famIP, true, false, ip)

	arnCmp := func(c string, p policyValue) (bool, error) { return arnMatch(c, p), nil }
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
	if op.base.fam == famNull && (op.ifExists || op.set != noSet) {
		return operator{}, fmt.Errorf("unknown condition operator %q: Null takes neither IfExists nor a set qualifier", name)
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

// arnMatch compares an ARN with a policy ARN pattern component by component
// (arn, partition, service, region, account, resource), case-sensitively; a
// wildcard never spans a colon between the first five components.
func arnMatch(s string, v policyValue) bool {
	got := strings.SplitN(s, ":", 6)
	if len(got) != 6 {
		return false
	}
	if v.pat == nil {
		want := strings.SplitN(v.s, ":", 6)
		if len(want) != 6 {
			return false
		}
		for i := range want {
			if !MatchWildcard(want[i], got[i], false) {
				return false
			}
		}
		return true
	}
	p := v.pat
	var want []pattern
	start := 0
	for i, c := range p {
		if len(want) == 5 {
			break
		}
		if !c.wild && c.r == ':' {
			want = append(want, p[start:i])
			start = i + 1
		}
	}
	if len(want) != 5 {
		return false
	}
	want = append(want, p[start:])
	for i := range want {
		if !want[i].match(got[i], false) {
			return false
		}
	}
	return true
}
