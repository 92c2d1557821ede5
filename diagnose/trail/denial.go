package trail

import (
	"strings"
)

// policyTypes maps the policy names AWS puts in access denied messages, lower
// case, to the names Denial uses. Longer names come first so that "resource
// control policy" is never read as a shorter name.
var policyTypes = []struct{ phrase, name string }{
	{"resource-based policy", PolicyResource},
	{"identity-based policy", PolicyIdentity},
	{"service control policy", PolicySCP},
	{"resource control policy", PolicyRCP},
	{"permissions boundary policy", PolicyBoundary},
	{"permissions boundary", PolicyBoundary},
	{"permission boundary", PolicyBoundary},
	// "with an explicit deny in a sessions policy" is how the IAM guide
	// spells one of its examples.
	{"sessions policy", PolicySession},
	{"session policies", PolicySession},
	{"session policy", PolicySession},
	{"vpc endpoint policy", PolicyVPCEndpoint},
	{"role trust policy", PolicyTrust},
	{"trust policy", PolicyTrust},
}

// ParseDenial takes an access denied message apart, following the forms in
// the IAM guide ("Troubleshoot access denied error messages"):
//
//	... because no <type> allows the <action> action
//	... with an explicit deny in a(n) <type>[: <policy ARN>]
//	... with an explicit deny in a <type> transitively through a <type>
//	... due to an explicit deny in a Service Control Policy
//	... with an explicit deny (no policy type named)
//
// Policy-type spellings are normalized ("sessions policy" is a session
// policy). In the transitive form the second type is the one that denied
// and the one to fix: PolicyType; the first is Via.
//
// with or without a "denied: " or "An error occurred (AccessDenied) ..."
// prefix, a "(Service: ...; Status Code: ...)" suffix, or the newer
// authorization-id sentence. A message that says "is not authorized to
// perform" but names no policy gives Kind "unknown". ok is false when the
// message is not an authorization failure.
func ParseDenial(message string) (*Denial, bool) {
	m := strings.ToLower(message)
	d := &Denial{}
	authz := strings.Contains(m, "not authorized to perform") || strings.Contains(m, "access denied") ||
		strings.Contains(m, "accessdenied") || strings.Contains(m, "explicit deny")
	if i := strings.Index(m, "explicit deny in "); i >= 0 {
		d.Kind = KindExplicit
		rest := m[i+len("explicit deny in "):]
		d.PolicyType, rest = policyAfterArticle(rest)
		d.PolicyARN = policyARN(message[len(message)-len(rest):])
		d.transitive(rest)
	} else if i := strings.Index(m, "because no "); i >= 0 {
		d.Kind = KindImplicit
		rest := m[i+len("because no "):]
		d.PolicyType, rest = policyName(rest)
		d.transitive(rest)
	} else if strings.Contains(m, "(explicit deny)") || strings.Contains(m, "with an explicit deny") {
		// The older EC2 form ("... role X (explicit deny)"), or a message
		// that says explicit but names no policy type.
		d.Kind = KindExplicit
	} else if authz {
		d.Kind = KindUnknown
	} else {
		return nil, false
	}
	if i := strings.Index(m, "authorization id: "); i >= 0 {
		id := message[i+len("authorization id: "):]
		end := strings.IndexFunc(id, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		})
		if end >= 0 {
			id = id[:end]
		}
		d.AuthorizationID = id
	}
	return d, true
}

// transitive reads the "... transitively through a <type>" tail after the
// first policy type: the request went through the first (Via), the second
// denied it.
func (d *Denial) transitive(rest string) {
	v := strings.Index(rest, "transitively through ")
	if v < 0 {
		return
	}
	if second, _ := policyAfterArticle(rest[v+len("transitively through "):]); second != "" {
		d.Via, d.PolicyType = d.PolicyType, second
	}
}

// policyAfterArticle reads "a <type>" or "an <type>" and returns the type and
// what follows it.
func policyAfterArticle(s string) (string, string) {
	switch {
	case strings.HasPrefix(s, "an "):
		s = s[3:]
	case strings.HasPrefix(s, "a "):
		s = s[2:]
	case strings.HasPrefix(s, "the "):
		s = s[4:]
	}
	return policyName(s)
}

// policyName reads the policy type at the start of s. An unfamiliar name is
// kept as written, up to the word "allows" or the end of the clause.
func policyName(s string) (string, string) {
	for _, p := range policyTypes {
		if strings.HasPrefix(s, p.phrase) {
			return p.name, s[len(p.phrase):]
		}
	}
	end := len(s)
	for _, stop := range []string{" allows", " transitively", ":", ".", ";", " (", "\n"} {
		if i := strings.Index(s, stop); i >= 0 && i < end {
			end = i
		}
	}
	return strings.TrimSpace(s[:end]), s[end:]
}

// policyARN returns the policy ARN the enhanced messages put after the type
// ("...in a service control policy: arn:aws:organizations::..."), if any.
func policyARN(rest string) string {
	rest = strings.TrimLeft(rest, " ")
	if !strings.HasPrefix(rest, ":") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " ")
	if !strings.HasPrefix(rest, "arn:") {
		return ""
	}
	end := strings.IndexAny(rest, " \t\n;,)")
	if end >= 0 {
		rest = rest[:end]
	}
	return strings.TrimRight(rest, ".")
}
