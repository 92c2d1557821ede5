// Package terraform reads a Terraform configuration (HCL files or a plan in
// JSON) into the ECR model lint checks: registries with their replication
// rules, registry and repository policies and repositories, where values
// known only after apply (account ids, ARNs) stay symbolic.
package terraform

import (
	"fmt"
	"sort"
	"strings"
)

// Source is where a resource was declared.
type Source struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Address is the Terraform address, e.g.
	// module.dest.aws_ecr_repository_policy.this["web"].
	Address string `json:"address"`
}

func (s Source) String() string {
	if s.File == "" {
		return s.Address
	}
	if s.Line == 0 { // a plan: no line
		return s.File + " (" + s.Address + ")"
	}
	loc := fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column)
	if s.Address == "" {
		return loc
	}
	return loc + " (" + s.Address + ")"
}

// Account is the AWS account of one or more providers. Before apply it is
// usually symbolic: ID is then a stand-in that no real account of the
// configuration uses, so policies built from it can be evaluated, and Name
// says which account it stands for.
type Account struct {
	ID string
	// Known is true when the configuration states the id (an assume_role
	// role_arn, allowed_account_ids, or a plan's data source).
	Known bool
	// Name describes a symbolic account: "the account of provider aws.management (profile management)".
	Name string
	// Ref is an expression of the root module that yields the account id
	// (data.aws_caller_identity.X.account_id), or "" when there is none.
	Ref string
}

// Label is the account as users read it: the id when known, else <Name>.
func (a *Account) Label() string {
	if a == nil {
		return "<unknown account>"
	}
	if a.Known {
		return a.ID
	}
	return "<" + a.Name + ">"
}

// Provider is one configured aws provider (root module).
type Provider struct {
	Address string // aws or aws.alias
	Profile string
	RoleARN string
	Account *Account
	Region  string // stand-in when not known
	// RegionKnown is false when the region could not be evaluated.
	RegionKnown bool
	Source      Source
}

// Registry is one (account, region), as the providers declare it.
type Registry struct {
	Account *Account
	Region  string
	// Providers names the providers that manage it.
	Providers []*Provider

	// PolicyScope is the REGISTRY_POLICY_SCOPE of an aws_ecr_account_setting
	// ("" when the files do not set it).
	PolicyScope string

	Replication        []*Replication
	RegistryPolicies   []*Policy
	Repositories       []*Repository
	RepositoryPolicies []*Policy
}

// Key identifies the registry.
func (r *Registry) Key() string { return r.Account.ID + "/" + r.Region }

// Repository is an aws_ecr_repository.
type Repository struct {
	Name   string
	Known  bool // the name could be evaluated
	Source Source
}

// Policy is an aws_ecr_registry_policy or aws_ecr_repository_policy.
type Policy struct {
	// Repository is the repository of a repository policy ("" for a
	// registry policy).
	Repository string
	// Text is the policy JSON, with symbolic accounts as their stand-ins.
	Text string
	// Known is false when the policy depends on values known only after
	// apply (Unknown lists them) or could not be evaluated.
	Known   bool
	Unknown []string
	Source  Source
	// PolicySource is where the policy text itself comes from when that is
	// not the resource: the aws_iam_policy_document block or the file.
	PolicySource *Source
	// Expr is the policy expression as written in the configuration.
	Expr string
}

// Replication is an aws_ecr_replication_configuration.
type Replication struct {
	Rules  []Rule
	Known  bool
	Source Source
}

// Rule is one replication rule.
type Rule struct {
	Destinations []Destination
	Filters      []Filter
}

// Destination is one destination of a rule. Account is nil when its
// registry_id names no account of the configuration.
type Destination struct {
	RegistryID string
	Region     string
	Account    *Account
	// Expr is the registry_id expression as written.
	Expr string
}

// Filter is a repository filter.
type Filter struct {
	Filter     string
	FilterType string
}

// Config is everything lint knows about the configuration.
type Config struct {
	Files      []string
	Resources  int
	Providers  []*Provider
	Accounts   []*Account
	Registries []*Registry
	// Warnings say what was not read or stays unknown, "{what}: {why}".
	Warnings []string
	// Errors are syntax errors (file:line:column: message): the files they
	// are in were skipped.
	Errors []string
}

// Registry returns the registry of (account, region), creating it.
func (c *Config) registry(acct *Account, region string) *Registry {
	for _, r := range c.Registries {
		if r.Account == acct && r.Region == region {
			return r
		}
	}
	r := &Registry{Account: acct, Region: region}
	c.Registries = append(c.Registries, r)
	return r
}

// AccountByID returns the account whose id (known or stand-in) is id.
func (c *Config) AccountByID(id string) *Account {
	for _, a := range c.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// Symbolize replaces every stand-in account id and region in s by its name,
// for display.
func (c *Config) Symbolize(s string) string {
	for _, a := range c.Accounts {
		if !a.Known {
			s = strings.ReplaceAll(s, a.ID, a.Label())
		}
	}
	for _, p := range c.Providers {
		if !p.RegionKnown {
			s = strings.ReplaceAll(s, p.Region, "<region of provider "+p.Address+">")
		}
	}
	return s
}

func (c *Config) sortRegistries() {
	sort.SliceStable(c.Registries, func(i, j int) bool {
		return c.Registries[i].Key() < c.Registries[j].Key()
	})
}
