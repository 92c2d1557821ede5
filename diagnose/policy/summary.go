package policy

import (
	"strconv"
	"strings"
)

// The summary is written with appends rather than fmt: it is built for
// every explained evaluation, and formatting through fmt (a Principal
// passed as a Stringer, %q, %d) was a sixth of Evaluate's time.

// appendDescribe names a statement the way a person would look for it.
func appendDescribe(b []byte, sr *StatementResult) []byte {
	b = append(b, sr.Path...)
	if sr.Sid != "" {
		b = append(b, " (Sid "...)
		b = strconv.AppendQuote(b, sr.Sid)
		b = append(b, ')')
	}
	if sr.Policy == "resource" {
		return append(b, " of the resource policy"...)
	}
	b = append(b, " of "...)
	return append(b, sr.Policy...)
}

// appendWhat writes "ACTION on RESOURCE for PRINCIPAL".
func (e *evaluation) appendWhat(b []byte) []byte {
	b = append(b, e.req.Action...)
	b = append(b, " on "...)
	b = append(b, e.req.Resource...)
	b = append(b, " for "...)
	return append(b, e.req.Principal.String()...)
}

// appendCross writes "cross-account (caller in A, resource in B)".
func (e *evaluation) appendCross(b []byte) []byte {
	b = append(b, "cross-account (caller in "...)
	b = append(b, e.req.Principal.Account...)
	b = append(b, ", resource in "...)
	b = append(b, e.req.ResourceAccount...)
	return append(b, ')')
}

func (e *evaluation) summarize(res *Result, f identityFacts, firstResAllow *StatementResult) string {
	var scratch [1024]byte
	b := scratch[:0]
	switch res.Decision {
	case DecisionExplicitDeny:
		b = append(b, "Explicitly denied: "...)
		b = appendDescribe(b, &res.Deciding[0])
		b = append(b, " denies "...)
		b = append(e.appendWhat(b), '.')
		if r := res.Deciding[0].Reason; strings.HasPrefix(r, "applies: NotPrincipal") {
			b = append(b, " Its "...)
			b = append(b, strings.TrimPrefix(r, "applies: ")...)
			b = append(b, '.')
		}
		if len(res.Deciding) > 1 {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(len(res.Deciding)-1), 10)
			b = append(b, " more Deny statements also apply."...)
		}
	case DecisionAllow:
		b = append(b, "Allowed: "...)
		b = appendDescribe(b, &res.Deciding[0])
		if f.given && f.cross {
			b = append(b, " and "...)
			b = appendDescribe(b, firstIdentity(res.Deciding))
			b = append(b, " both allow "...)
			b = append(e.appendWhat(b), ", as a cross-account request needs."...)
		} else {
			b = append(b, " allows "...)
			b = append(e.appendWhat(b), '.')
		}
		if res.IdentityAssumed {
			b = append(b, ' ')
			b = e.appendAssumption(b, f)
		}
	default:
		switch {
		case f.given && f.cross && f.resAllowed:
			b = append(b, "Implicitly denied: the request is "...)
			b = e.appendCross(b)
			b = append(b, ", so an identity policy must allow it too, and none allows "...)
			b = append(e.appendWhat(b), '.')
		case f.given && f.cross && f.idAllowed:
			b = append(b, "Implicitly denied: the request is "...)
			b = e.appendCross(b)
			b = append(b, ", so the resource policy must allow it too, and no statement of it allows "...)
			b = append(e.appendWhat(b), '.')
			b = appendClosest(b, res.Statements, "resource")
		case f.given && f.resAllowed:
			// Same account, and the resource policy names only the account.
			b = append(b, "Implicitly denied: "...)
			b = appendDescribe(b, firstResAllow)
			b = append(b, " names the caller's account "...)
			b = append(b, e.req.Principal.Account...)
			b = append(b, ", not the caller, which delegates to the account's identity-based policies, and none of them allows "...)
			b = append(e.appendWhat(b), '.')
		default:
			b = append(b, "Implicitly denied: no statement allows "...)
			b = append(e.appendWhat(b), '.')
			b = appendClosest(b, res.Statements, "")
			if f.hasIdentity && !f.given && f.known && !f.cross {
				b = append(b, " No identity-based policy was given: within one account, one that allows the request would be enough."...)
			}
		}
	}
	if len(res.MissingContextKeys) > 0 && hinges(res.Statements) {
		b = append(b, " The answer depends on condition keys absent from the request: "...)
		for i, k := range res.MissingContextKeys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
		}
		b = append(b, '.')
	}
	return string(b)
}

// appendClosest writes " The closest, S, does not apply: REASON." for the
// Allow statement of policy ("" for any) that came nearest to applying.
func appendClosest(b []byte, srs []StatementResult, policy string) []byte {
	c := closest(srs, policy)
	if c == nil {
		return b
	}
	b = append(b, " The closest, "...)
	b = appendDescribe(b, c)
	b = append(b, ", does not apply: "...)
	b = append(b, c.Reason...)
	return append(b, '.')
}

// appendAssumption says which identity-side Allow an Allow without identity
// policies took for granted, and why IAM needs it.
func (e *evaluation) appendAssumption(b []byte, f identityFacts) []byte {
	if p := &e.req.Principal; p.Type == TypeAssumedRole && p.Name == ReplicationRoleName && f.cross {
		return append(b, "The cross-account request also needs the replication role's identity-based policy, the AWS-managed ECRReplicationServiceRolePolicy, to allow it: AWS documents it as allowing ecr:CreateRepository and ecr:ReplicateImage on every resource; it was not evaluated here."...)
	}
	switch {
	case f.cross:
		b = append(b, "The request is "...)
		b = e.appendCross(b)
		return append(b, ", so IAM also needs an Allow from the caller's identity-based policies; none was given, so this assumes they allow it."...)
	case !f.known:
		return append(b, "The resource's account is unknown, so the request may be cross-account and need an Allow from the caller's identity-based policies too; none was given, so this assumes they allow it."...)
	}
	b = append(b, "It names the caller's account "...)
	b = append(b, e.req.Principal.Account...)
	return append(b, ", not the caller, which delegates to the account's identity-based policies, so IAM also needs one of them to allow the request; none was given, so this assumes they allow it."...)
}

func firstIdentity(srs []StatementResult) *StatementResult {
	for i := range srs {
		if srs[i].Policy != "resource" {
			return &srs[i]
		}
	}
	return &srs[len(srs)-1]
}

// hinges reports whether a statement whose outcome rests on a missing key
// could change the decision.
func hinges(srs []StatementResult) bool {
	for i := range srs {
		if srs[i].DependsOnMissingKey {
			return true
		}
	}
	return false
}

// closest picks the Allow statement that came nearest to applying, or nil.
// A statement naming the requested action is the grant the author meant, so
// elements weigh action > principal > resource > conditions; the first wins
// a tie.
func closest(srs []StatementResult, policy string) *StatementResult {
	var best *StatementResult
	bestScore := -1
	for i := range srs {
		sr := &srs[i]
		if sr.Effect != Allow || sr.Applies || (policy != "" && sr.Policy != policy) {
			continue
		}
		score := 0
		for i, m := range [...]bool{sr.ConditionMatch, sr.ResourceMatch, sr.PrincipalMatch, sr.ActionMatch} {
			if m {
				score += 1 << i
			}
		}
		if score > bestScore {
			best, bestScore = sr, score
		}
	}
	return best
}
