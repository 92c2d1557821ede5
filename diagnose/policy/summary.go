package policy

import (
	"fmt"
	"strings"
)

// describe names a statement the way a person would look for it.
func describe(sr StatementResult) string {
	s := sr.Path
	if sr.Sid != "" {
		s += fmt.Sprintf(" (Sid %q)", sr.Sid)
	}
	if sr.Policy == "resource" {
		return s + " of the resource policy"
	}
	return s + " of " + sr.Policy
}

func (e *evaluation) summarize(res Result, f identityFacts, firstResAllow StatementResult) string {
	what := fmt.Sprintf("%s on %s for %s", e.req.Action, e.req.Resource, e.req.Principal)
	var b strings.Builder
	switch res.Decision {
	case DecisionExplicitDeny:
		fmt.Fprintf(&b, "Explicitly denied: %s denies %s.", describe(res.Deciding[0]), what)
		if r := res.Deciding[0].Reason; strings.HasPrefix(r, "applies: NotPrincipal") {
			fmt.Fprintf(&b, " Its %s.", strings.TrimPrefix(r, "applies: "))
		}
		if len(res.Deciding) > 1 {
			fmt.Fprintf(&b, " %d more Deny statements also apply.", len(res.Deciding)-1)
		}
	case DecisionAllow:
		if f.given && f.cross {
			fmt.Fprintf(&b, "Allowed: %s and %s both allow %s, as a cross-account request needs.", describe(res.Deciding[0]), describe(firstIdentity(res.Deciding)), what)
		} else {
			fmt.Fprintf(&b, "Allowed: %s allows %s.", describe(res.Deciding[0]), what)
		}
		if res.IdentityAssumed {
			b.WriteString(" " + e.assumption(f))
		}
	default:
		switch {
		case f.given && f.cross && f.resAllowed:
			fmt.Fprintf(&b, "Implicitly denied: the request is cross-account (caller in %s, resource in %s), so an identity policy must allow it too, and none allows %s.", e.req.Principal.Account, e.req.ResourceAccount, what)
		case f.given && f.cross && f.idAllowed:
			fmt.Fprintf(&b, "Implicitly denied: the request is cross-account (caller in %s, resource in %s), so the resource policy must allow it too, and no statement of it allows %s.", e.req.Principal.Account, e.req.ResourceAccount, what)
			if c, ok := closest(res.Statements, "resource"); ok {
				fmt.Fprintf(&b, " The closest, %s, does not apply: %s.", describe(c), c.Reason)
			}
		case f.given && f.resAllowed:
			// Same account, and the resource policy names only the account.
			fmt.Fprintf(&b, "Implicitly denied: %s names the caller's account %s, not the caller, which delegates to the account's identity-based policies, and none of them allows %s.", describe(firstResAllow), e.req.Principal.Account, what)
		default:
			fmt.Fprintf(&b, "Implicitly denied: no statement allows %s.", what)
			if c, ok := closest(res.Statements, ""); ok {
				fmt.Fprintf(&b, " The closest, %s, does not apply: %s.", describe(c), c.Reason)
			}
			if f.hasIdentity && !f.given && f.known && !f.cross {
				b.WriteString(" No identity-based policy was given: within one account, one that allows the request would be enough.")
			}
		}
	}
	if len(res.MissingContextKeys) > 0 && hinges(res) {
		fmt.Fprintf(&b, " The answer depends on condition keys absent from the request: %s.", strings.Join(res.MissingContextKeys, ", "))
	}
	return b.String()
}

// assumption says which identity-side Allow an Allow without identity
// policies took for granted, and why IAM needs it.
func (e *evaluation) assumption(f identityFacts) string {
	if p := e.req.Principal; p.Type == TypeAssumedRole && p.Name == ReplicationRoleName && f.cross {
		return "The cross-account request also needs the replication role's identity-based policy, the AWS-managed ECRReplicationServiceRolePolicy, to allow it: AWS documents it as allowing ecr:CreateRepository and ecr:ReplicateImage on every resource; it was not evaluated here."
	}
	switch {
	case f.cross:
		return fmt.Sprintf("The request is cross-account (caller in %s, resource in %s), so IAM also needs an Allow from the caller's identity-based policies; none was given, so this assumes they allow it.", e.req.Principal.Account, e.req.ResourceAccount)
	case !f.known:
		return "The resource's account is unknown, so the request may be cross-account and need an Allow from the caller's identity-based policies too; none was given, so this assumes they allow it."
	}
	return fmt.Sprintf("It names the caller's account %s, not the caller, which delegates to the account's identity-based policies, so IAM also needs one of them to allow the request; none was given, so this assumes they allow it.", e.req.Principal.Account)
}

func firstIdentity(srs []StatementResult) StatementResult {
	for _, sr := range srs {
		if sr.Policy != "resource" {
			return sr
		}
	}
	return srs[len(srs)-1]
}

// hinges reports whether a statement whose outcome rests on a missing key
// could change the decision.
func hinges(res Result) bool {
	for _, sr := range res.Statements {
		if sr.DependsOnMissingKey {
			return true
		}
	}
	return false
}

// closest picks the Allow statement that came nearest to applying. A
// statement naming the requested action is the grant the author meant, so
// elements weigh action > principal > resource > conditions; the first wins
// a tie.
func closest(srs []StatementResult, policy string) (StatementResult, bool) {
	best, bestScore := StatementResult{}, -1
	for _, sr := range srs {
		if sr.Effect != Allow || sr.Applies || (policy != "" && sr.Policy != policy) {
			continue
		}
		score := 0
		for i, m := range []bool{sr.ConditionMatch, sr.ResourceMatch, sr.PrincipalMatch, sr.ActionMatch} {
			if m {
				score += 1 << i
			}
		}
		if score > bestScore {
			best, bestScore = sr, score
		}
	}
	return best, bestScore >= 0
}
