package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// Principal types, as aws:PrincipalType reports them (plus Role and Service,
// which AWS never reports there but which a Principal element can name).
const (
	TypeAccount       = "Account"
	TypeUser          = "User"
	TypeRole          = "Role"
	TypeAssumedRole   = "AssumedRole"
	TypeFederatedUser = "FederatedUser"
	TypeService       = "Service"
	TypeAnonymous     = "Anonymous"
)

// Principal is the caller of a request.
type Principal struct {
	ARN     string // "" for service principals and anonymous callers
	Account string // 12-digit account id; "" for services and anonymous
	Type    string // one of the Type* constants
	Service string // "replication.ecr.amazonaws.com" for Type Service

	// Name is the user, role or federated user name (last path segment).
	Name string
	// RoleARN is the IAM role behind an assumed-role session, with its path
	// when it is known (ReplicationPrincipal); it is what aws:PrincipalArn
	// reports for a session.
	RoleARN string
	Session string // session name of an assumed-role session
}

var (
	servicePrinRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$`)
)

// ParsePrincipal reads a caller: an IAM ARN (arn:aws:iam::A:root, :user/...,
// :role/...), an STS ARN (arn:aws:sts::A:assumed-role/ROLE/SESSION,
// :federated-user/NAME), a 12-digit account id (that account's root), a
// service principal such as "replication.ecr.amazonaws.com", or "anonymous".
func ParsePrincipal(s string) (Principal, error) {
	switch {
	case s == "":
		return Principal{}, fmt.Errorf("empty principal")
	case strings.EqualFold(s, "anonymous"):
		return Principal{Type: TypeAnonymous}, nil
	case awsid.IsAccountID(s):
		return Principal{ARN: "arn:aws:iam::" + s + ":root", Account: s, Type: TypeAccount}, nil
	case servicePrinRe.MatchString(s):
		return Principal{Type: TypeService, Service: s}, nil
	case !strings.HasPrefix(s, "arn:"):
		return Principal{}, fmt.Errorf("principal %q is not an ARN, a 12-digit account id, a service principal (x.amazonaws.com) or \"anonymous\"", s)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return Principal{}, fmt.Errorf("principal %q is not a valid ARN (want arn:partition:service::account:resource)", s)
	}
	partition, service, region, account, res := parts[1], parts[2], parts[3], parts[4], parts[5]
	if partition == "" || region != "" || !awsid.IsAccountID(account) {
		return Principal{}, fmt.Errorf("principal %q is not an IAM or STS principal ARN (want an empty region and a 12-digit account)", s)
	}
	p := Principal{ARN: s, Account: account}
	segs := strings.Split(res, "/")
	last := segs[len(segs)-1]
	switch {
	case service == "iam" && res == "root":
		p.Type = TypeAccount
	case service == "iam" && segs[0] == "user" && len(segs) >= 2 && last != "":
		p.Type, p.Name = TypeUser, last
	case service == "iam" && segs[0] == "role" && len(segs) >= 2 && last != "":
		p.Type, p.Name = TypeRole, last
	case service == "sts" && segs[0] == "assumed-role" && len(segs) == 3 && segs[1] != "" && segs[2] != "":
		p.Type, p.Name, p.Session = TypeAssumedRole, segs[1], segs[2]
		p.RoleARN = "arn:" + partition + ":iam::" + account + ":role/" + segs[1]
		if segs[1] == ReplicationRoleName {
			// A service-linked role always lives under its service's path,
			// so the path the session ARN omits is known.
			p.RoleARN = "arn:" + partition + ":iam::" + account + ":role" + ReplicationRolePath + ReplicationRoleName
		}
	case service == "sts" && segs[0] == "federated-user" && len(segs) == 2 && last != "":
		p.Type, p.Name = TypeFederatedUser, last
	default:
		return Principal{}, fmt.Errorf("principal %q is not a root, user, role, assumed-role or federated-user ARN", s)
	}
	return p, nil
}

// Names of ECR's replication service-linked role and the session it uses.
const (
	ReplicationRoleName    = "AWSServiceRoleForECRReplication"
	ReplicationSessionName = "ECRReplication"
	ReplicationRolePath    = "/aws-service-role/replication.ecr.amazonaws.com/"
)

// ReplicationPrincipal is the caller ECR uses when it replicates from account:
// a session of the service-linked role AWSServiceRoleForECRReplication.
//
// The role's ARN carries a path (role/aws-service-role/replication.ecr.amazonaws.com/...)
// that the session ARN does not. A Principal naming the role matches its
// sessions whatever path it is written with, because IAM role names are
// unique within an account regardless of path (IAM stores the role's unique
// id, not the text). aws:PrincipalArn reports the role ARN with its path.
func ReplicationPrincipal(account string) Principal {
	return Principal{
		ARN:     "arn:aws:sts::" + account + ":assumed-role/" + ReplicationRoleName + "/" + ReplicationSessionName,
		Account: account,
		Type:    TypeAssumedRole,
		Name:    ReplicationRoleName,
		RoleARN: "arn:aws:iam::" + account + ":role" + ReplicationRolePath + ReplicationRoleName,
		Session: ReplicationSessionName,
	}
}

// String is the principal as a person would name it.
func (p Principal) String() string {
	switch p.Type {
	case TypeService:
		return p.Service
	case TypeAnonymous:
		return "anonymous"
	}
	return p.ARN
}

// normalized fills in what a hand-built Principal (say, {ARN, Account, Type}
// taken from a CloudTrail record) leaves out, so matching never depends on
// how the caller constructed it. A RoleARN given by the caller is kept: it may
// carry the role's path.
func (p Principal) normalized() Principal {
	if p.ARN != "" && (p.Type == "" || p.Account == "" || (p.Name == "" && p.Type != TypeAccount)) {
		if q, err := ParsePrincipal(p.ARN); err == nil {
			if p.RoleARN != "" {
				q.RoleARN = p.RoleARN
			}
			return q
		}
	}
	if p.Type == "" && p.Service != "" {
		p.Type = TypeService
	}
	return p
}

// principalARN is what aws:PrincipalArn reports: the role for a session.
func (p Principal) principalARN() string {
	if p.Type == TypeAssumedRole && p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

// hasAccount is true for principals that belong to an AWS account.
func (p Principal) hasAccount() bool {
	switch p.Type {
	case TypeAccount, TypeUser, TypeRole, TypeAssumedRole, TypeFederatedUser:
		return p.Account != ""
	}
	return false
}

// arnParts splits an IAM/STS ARN into partition, service, account, resource.
func arnParts(s string) (partition, service, account, resource string, ok bool) {
	parts, ok := splitARN(s)
	if !ok || parts[0] != "arn" {
		return "", "", "", "", false
	}
	return parts[1], parts[2], parts[4], parts[5], true
}

// principalEntry is how a Principal element value names callers.
type principalEntry struct {
	kind    string // "account", "user", "role", "session", "federated-user", "other"
	account string
	name    string // user/role/federated user name
	session string
}

func classifyAWSPrincipal(v string) principalEntry {
	if awsid.IsAccountID(v) {
		return principalEntry{kind: "account", account: v}
	}
	_, service, account, res, ok := arnParts(v)
	if !ok || !awsid.IsAccountID(account) {
		return principalEntry{kind: "other"}
	}
	segs := strings.Split(res, "/")
	last := segs[len(segs)-1]
	switch {
	case service == "iam" && res == "root":
		return principalEntry{kind: "account", account: account}
	case service == "iam" && segs[0] == "user" && len(segs) >= 2:
		return principalEntry{kind: "user", account: account, name: last}
	case service == "iam" && segs[0] == "role" && len(segs) >= 2:
		return principalEntry{kind: "role", account: account, name: last}
	case service == "sts" && segs[0] == "assumed-role" && len(segs) == 3:
		return principalEntry{kind: "session", account: account, name: segs[1], session: segs[2]}
	case service == "sts" && segs[0] == "federated-user" && len(segs) == 2:
		return principalEntry{kind: "federated-user", account: account, name: last}
	}
	return principalEntry{kind: "other"}
}

// principalMatch is how a Principal element names the caller.
type principalMatch int

const (
	noMatch principalMatch = iota
	// accountMatch: only through the caller's account (arn:aws:iam::A:root
	// or A), which names every principal of the account by delegating to
	// the account's identity-based policies rather than granting the
	// caller itself.
	accountMatch
	// directMatch: the caller itself (its ARN, its role, its session, its
	// service), "*", or the account when the caller is the account's root.
	directMatch
)

// principalMatches reports how a Principal element names the caller. An
// account (id or :root ARN) names every principal of that account; a role
// names the role and its sessions; a session ARN names that session.
// Wildcards other than a lone "*" are not supported by IAM in Principal and
// match nothing.
//
// {"AWS": "*"} is documented as equivalent to "*": everyone, anonymous
// callers included; compilePrincipals folds it into wildcard.
func principalMatches(cp *cPrincipals, p *Principal) principalMatch {
	if cp.wildcard {
		return directMatch
	}
	ps := cp.p
	best := noMatch
	for _, e := range cp.entries {
		switch e.kind {
		case "account":
			if p.hasAccount() && p.Account == e.account {
				if p.Type == TypeAccount {
					return directMatch
				}
				best = accountMatch
			}
		case "user":
			if p.Type == TypeUser && p.Account == e.account && p.Name == e.name {
				return directMatch
			}
		case "role":
			if (p.Type == TypeRole || p.Type == TypeAssumedRole) && p.Account == e.account && p.Name == e.name {
				return directMatch
			}
		case "session":
			if p.Type == TypeAssumedRole && p.Account == e.account && p.Name == e.name && p.Session == e.session {
				return directMatch
			}
		case "federated-user":
			if p.Type == TypeFederatedUser && p.Account == e.account && p.Name == e.name {
				return directMatch
			}
		}
	}
	if serviceOrOtherMatches(ps, p) {
		return directMatch
	}
	return best
}

func serviceOrOtherMatches(ps *Principals, p *Principal) bool {
	for _, v := range ps.Service {
		if v == "*" || (p.Type == TypeService && strings.EqualFold(v, p.Service)) {
			return true
		}
	}
	for _, v := range ps.Federated {
		if v == "*" || (p.ARN != "" && v == p.ARN) {
			return true
		}
	}
	for _, v := range ps.CanonicalUser {
		if v == "*" {
			return true
		}
	}
	return false
}

// notPrincipalExempts reports whether a NotPrincipal element exempts the
// caller. AWS documents NotPrincipal as matching the exact identities named:
// naming an account exempts only that account's root user, not its users,
// roles or sessions; a user is exempt when its user ARN is named; an
// assumed-role session is exempt only when both its session ARN and its
// role ARN are named (AWS may check the role before the session). Naming
// the account as well is AWS's recommended practice and harmless here.
func notPrincipalExempts(cp *cPrincipals, p *Principal) bool {
	if cp.wildcard {
		return true
	}
	ps := cp.p
	var accountNamed, userNamed, roleNamed, sessionNamed, fedNamed bool
	for _, e := range cp.entries {
		if e.account != p.Account {
			continue
		}
		switch e.kind {
		case "account":
			accountNamed = true
		case "user":
			userNamed = userNamed || (p.Type == TypeUser && e.name == p.Name)
		case "role":
			roleNamed = roleNamed || ((p.Type == TypeRole || p.Type == TypeAssumedRole) && e.name == p.Name)
		case "session":
			sessionNamed = sessionNamed || (p.Type == TypeAssumedRole && e.name == p.Name && e.session == p.Session)
		case "federated-user":
			fedNamed = fedNamed || (p.Type == TypeFederatedUser && e.name == p.Name)
		}
	}
	switch p.Type {
	case TypeAccount:
		return accountNamed
	case TypeUser:
		return userNamed
	case TypeRole:
		return roleNamed
	case TypeAssumedRole:
		return roleNamed && sessionNamed
	case TypeFederatedUser:
		return fedNamed
	}
	return serviceOrOtherMatches(ps, p)
}
